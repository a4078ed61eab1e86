package dev.ballast.core.health;

import dev.ballast.core.state.Health;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The health state machine of one endpoint: an immutable {@link HealthStatus} swapped by CAS, so a
 * result recorded from any thread moves it exactly one step and exactly one caller sees each
 * transition (the pattern of Armeria's {@code NonBlockingCircuitBreaker}).
 */
public final class RiseFall {

    /** One recorded result: the state before and after it. */
    public record Step(HealthStatus before, HealthStatus after) {

        /** True when the verdict changed with this result. */
        public boolean transitioned() {
            return before.health() != after.health();
        }
    }

    private final int unhealthyThreshold;
    private final int healthyThreshold;
    private final AtomicReference<HealthStatus> status;

    public RiseFall(int unhealthyThreshold, int healthyThreshold, Health initial) {
        if (unhealthyThreshold < 1 || healthyThreshold < 1) {
            throw new IllegalArgumentException("thresholds: " + unhealthyThreshold + "/" + healthyThreshold
                    + " (expected: >= 1)");
        }
        this.unhealthyThreshold = unhealthyThreshold;
        this.healthyThreshold = healthyThreshold;
        this.status = new AtomicReference<>(HealthStatus.of(initial));
    }

    public HealthStatus status() {
        return status.get();
    }

    /** Records one check result and returns the step it made. */
    public Step record(boolean passed) {
        HealthStatus before;
        HealthStatus after;
        do {
            before = status.get();
            after = before.next(passed, unhealthyThreshold, healthyThreshold);
        } while (before != after && !status.compareAndSet(before, after));
        return new Step(before, after);
    }
}
