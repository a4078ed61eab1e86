package dev.ballast.core.health;

import dev.ballast.core.state.EndpointState;

/**
 * Told about health checks and transitions, for metrics and the admin dashboard. Called on the
 * scheduler's thread, in order per endpoint; must be quick and must not block. An exception thrown
 * here is logged and otherwise ignored.
 */
public interface HealthListener {

    /** A check of {@code endpoint} ended with {@code outcome} after {@code latencyNanos}. */
    default void checked(EndpointState endpoint, CheckOutcome outcome, long latencyNanos) {
    }

    /** An endpoint's verdict changed; called once per change. */
    default void transitioned(HealthTransition transition) {
    }

    /** Listens to nothing. */
    HealthListener NONE = new HealthListener() { };
}
