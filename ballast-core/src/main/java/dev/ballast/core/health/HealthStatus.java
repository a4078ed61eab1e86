package dev.ballast.core.health;

import dev.ballast.core.state.Health;

import java.util.Objects;

/**
 * One state of the rise/fall machine: the current verdict and the run of opposite results counted
 * towards changing it. Immutable; {@link #next} is a pure function.
 *
 * @param health    the verdict
 * @param successes consecutive passed checks while {@code UNHEALTHY}; always 0 while healthy
 * @param failures  consecutive failed checks while {@code HEALTHY}; always 0 while unhealthy
 */
public record HealthStatus(Health health, int successes, int failures) {

    private static final HealthStatus HEALTHY = new HealthStatus(Health.HEALTHY, 0, 0);
    private static final HealthStatus UNHEALTHY = new HealthStatus(Health.UNHEALTHY, 0, 0);

    public HealthStatus {
        Objects.requireNonNull(health, "health");
        if (successes < 0 || failures < 0) {
            throw new IllegalArgumentException("counts must be >= 0");
        }
    }

    /** {@code health} with nothing counted yet. */
    public static HealthStatus of(Health health) {
        return health == Health.HEALTHY ? HEALTHY : UNHEALTHY;
    }

    /**
     * The state after one more check (HAProxy's {@code rise}/{@code fall}): a healthy endpoint turns
     * unhealthy on exactly the {@code unhealthyThreshold}-th failure in a row, an unhealthy one healthy
     * on exactly the {@code healthyThreshold}-th pass in a row; a result that agrees with the verdict
     * clears the run.
     */
    public HealthStatus next(boolean passed, int unhealthyThreshold, int healthyThreshold) {
        if (health == Health.HEALTHY) {
            if (passed) {
                return HEALTHY;
            }
            int run = failures + 1;
            return run >= unhealthyThreshold ? UNHEALTHY : new HealthStatus(Health.HEALTHY, 0, run);
        }
        if (!passed) {
            return UNHEALTHY;
        }
        int run = successes + 1;
        return run >= healthyThreshold ? HEALTHY : new HealthStatus(Health.UNHEALTHY, run, 0);
    }
}
