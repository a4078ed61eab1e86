package dev.ballast.core.outlier;

import java.time.Duration;
import java.util.Objects;

/**
 * The {@code outlier_detection} settings of an upstream, validated.
 *
 * @param consecutiveFailures failures in a row (5xx, connect failure, reset, timeout) that eject an
 *                            endpoint, >= 1
 * @param baseEjectionTime    the first ejection's length; the {@code k}-th ejection in a row lasts
 *                            {@code base * 2^(k-1)}
 * @param maxEjectionPercent  0..100: at most this share of the upstream's endpoints are ejected at once,
 *                            but at least one may be whenever the value is above 0 (Envoy's rule); 0
 *                            turns ejection off while still counting
 * @param maxEjectionTime     the cap on an ejection's length, >= {@code baseEjectionTime}
 * @param decayInterval       each such period an endpoint spends admitted without being ejected again
 *                            takes one step off its ejection multiplier, so an endpoint that recovered
 *                            for good is treated as new (Envoy decrements it once per sweep interval)
 */
public record OutlierDetection(
        int consecutiveFailures,
        Duration baseEjectionTime,
        int maxEjectionPercent,
        Duration maxEjectionTime,
        Duration decayInterval) {

    /** Envoy's defaults. */
    public static final int DEFAULT_CONSECUTIVE_FAILURES = 5;
    public static final Duration DEFAULT_BASE_EJECTION_TIME = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_EJECTION_PERCENT = 10;
    public static final Duration DEFAULT_MAX_EJECTION_TIME = Duration.ofSeconds(300);
    public static final Duration DEFAULT_DECAY_INTERVAL = Duration.ofSeconds(10);

    public OutlierDetection {
        Objects.requireNonNull(baseEjectionTime, "baseEjectionTime");
        Objects.requireNonNull(maxEjectionTime, "maxEjectionTime");
        Objects.requireNonNull(decayInterval, "decayInterval");
        if (consecutiveFailures < 1) {
            throw new IllegalArgumentException(
                    "consecutive_failures: " + consecutiveFailures + " (expected: >= 1)");
        }
        if (baseEjectionTime.isNegative() || baseEjectionTime.isZero()) {
            throw new IllegalArgumentException("base_ejection_time: " + baseEjectionTime + " (expected: > 0)");
        }
        if (maxEjectionPercent < 0 || maxEjectionPercent > 100) {
            throw new IllegalArgumentException(
                    "max_ejection_percent: " + maxEjectionPercent + " (expected: 0..100)");
        }
        if (maxEjectionTime.compareTo(baseEjectionTime) < 0) {
            throw new IllegalArgumentException("max_ejection_time: " + maxEjectionTime
                    + " (expected: >= base_ejection_time " + baseEjectionTime + ")");
        }
        maxEjectionTime.toNanos(); // fails fast on a duration too long for nanosecond math
        if (decayInterval.isNegative() || decayInterval.isZero()) {
            throw new IllegalArgumentException("decay_interval: " + decayInterval + " (expected: > 0)");
        }
    }

    /**
     * The three settings of the YAML; the ejection cap is the larger of 300 s and the base (Envoy's
     * default), the decay interval 10 s.
     */
    public static OutlierDetection of(int consecutiveFailures, Duration baseEjectionTime, int maxEjectionPercent) {
        Duration cap = baseEjectionTime.compareTo(DEFAULT_MAX_EJECTION_TIME) > 0
                ? baseEjectionTime : DEFAULT_MAX_EJECTION_TIME;
        return new OutlierDetection(consecutiveFailures, baseEjectionTime, maxEjectionPercent, cap,
                DEFAULT_DECAY_INTERVAL);
    }

    /** Envoy's defaults: 5 failures, 30 s, 10%, capped at 300 s, decay every 10 s. */
    public static OutlierDetection defaults() {
        return of(DEFAULT_CONSECUTIVE_FAILURES, DEFAULT_BASE_EJECTION_TIME, DEFAULT_MAX_EJECTION_PERCENT);
    }

    public OutlierDetection withMaxEjectionTime(Duration cap) {
        return new OutlierDetection(consecutiveFailures, baseEjectionTime, maxEjectionPercent, cap, decayInterval);
    }

    public OutlierDetection withDecayInterval(Duration interval) {
        return new OutlierDetection(consecutiveFailures, baseEjectionTime, maxEjectionPercent, maxEjectionTime,
                interval);
    }

    /** The length of the {@code ordinal}-th ejection in a row (1-based): {@code base * 2^(ordinal-1)}, capped. */
    public long ejectionNanos(int ordinal) {
        long base = baseEjectionTime.toNanos();
        long cap = maxEjectionTime.toNanos();
        int shift = Math.max(0, ordinal - 1);
        if (shift >= Long.SIZE - 1 || base > (cap >> shift)) {
            return cap;
        }
        return Math.min(cap, base << shift);
    }

    /**
     * How many of {@code members} endpoints may be ejected at once: {@code floor(members * percent /
     * 100)}, but at least one when the percentage is above zero and there is an endpoint at all.
     */
    public int maxEjected(int members) {
        if (maxEjectionPercent == 0 || members == 0) {
            return 0;
        }
        return Math.max(1, (int) ((long) members * maxEjectionPercent / 100));
    }
}
