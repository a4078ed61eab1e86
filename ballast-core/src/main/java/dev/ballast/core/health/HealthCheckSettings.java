package dev.ballast.core.health;

import java.time.Duration;
import java.util.Objects;

/**
 * The timing and thresholds of an upstream's {@code health_check}, validated. What a check sends
 * ({@code path}, {@code expected_status}, {@code type: tcp}) belongs to the transport's {@link
 * HealthChecker}, not here.
 *
 * @param interval           time from the end of one check to the start of the next, > 0
 * @param timeout            a check without an answer by then fails, > 0
 * @param unhealthyThreshold consecutive failed checks that mark a healthy endpoint unhealthy, >= 1
 * @param healthyThreshold   consecutive passed checks that mark an unhealthy endpoint healthy, >= 1
 * @param initialDelay       before an endpoint's first check, >= 0
 * @param jitter             fraction in [0, 1): each interval is drawn uniformly from {@code interval *
 *                           (1 ± jitter)} and the first check comes up to {@code interval * jitter}
 *                           after the initial delay, so checks of many endpoints do not come in waves
 */
public record HealthCheckSettings(
        Duration interval,
        Duration timeout,
        int unhealthyThreshold,
        int healthyThreshold,
        Duration initialDelay,
        double jitter) {

    public HealthCheckSettings {
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(initialDelay, "initialDelay");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval: " + interval + " (expected: > 0)");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
        }
        if (unhealthyThreshold < 1) {
            throw new IllegalArgumentException("unhealthy_threshold: " + unhealthyThreshold + " (expected: >= 1)");
        }
        if (healthyThreshold < 1) {
            throw new IllegalArgumentException("healthy_threshold: " + healthyThreshold + " (expected: >= 1)");
        }
        if (initialDelay.isNegative()) {
            throw new IllegalArgumentException("initial_delay: " + initialDelay + " (expected: >= 0)");
        }
        if (!(jitter >= 0 && jitter < 1)) {
            throw new IllegalArgumentException("jitter: " + jitter + " (expected: a fraction in [0, 1), 0.1 for 10%)");
        }
        // Nanosecond arithmetic below must not overflow.
        interval.plus(initialDelay).multipliedBy(2).toNanos();
        timeout.toNanos();
    }

    /** The sample: every 2 s, 1 s timeout, unhealthy after 3, healthy after 2, 10% jitter. */
    public static HealthCheckSettings defaults() {
        return new HealthCheckSettings(Duration.ofSeconds(2), Duration.ofSeconds(1), 3, 2, Duration.ZERO, 0.1);
    }

    public HealthCheckSettings withInterval(Duration newInterval) {
        return new HealthCheckSettings(newInterval, timeout, unhealthyThreshold, healthyThreshold, initialDelay, jitter);
    }

    public HealthCheckSettings withTimeout(Duration newTimeout) {
        return new HealthCheckSettings(interval, newTimeout, unhealthyThreshold, healthyThreshold, initialDelay, jitter);
    }

    public HealthCheckSettings withThresholds(int unhealthy, int healthy) {
        return new HealthCheckSettings(interval, timeout, unhealthy, healthy, initialDelay, jitter);
    }

    public HealthCheckSettings withInitialDelay(Duration delay) {
        return new HealthCheckSettings(interval, timeout, unhealthyThreshold, healthyThreshold, delay, jitter);
    }

    public HealthCheckSettings withJitter(double fraction) {
        return new HealthCheckSettings(interval, timeout, unhealthyThreshold, healthyThreshold, initialDelay, fraction);
    }
}
