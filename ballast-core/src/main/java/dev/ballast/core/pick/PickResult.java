package dev.ballast.core.pick;

import dev.ballast.core.state.EndpointState;

/**
 * The outcome of a pick: an endpoint, or the reason there is none. A value, never null and never
 * an exception, so the data path handles both with one pattern-matching {@code switch}.
 */
public sealed interface PickResult {

    /**
     * An endpoint was picked and its in-flight count already incremented: the caller must call
     * {@link EndpointState#release()} (or {@code release(latency)}) exactly once when done.
     * Instances are preallocated per endpoint ({@link EndpointState#picked()}).
     */
    record Picked(EndpointState endpoint) implements PickResult { }

    /** Nothing could be picked; {@code reason} says why. Instances are the constants of {@link Reason}. */
    record Unavailable(Reason reason) implements PickResult { }

    /** Why a pick found no endpoint. */
    enum Reason {
        /** The upstream has no endpoints at all. */
        NO_ENDPOINTS("no endpoints"),
        /** Every endpoint is unhealthy, ejected or draining (not all draining), and panic mode is off. */
        ALL_UNHEALTHY("all endpoints unhealthy"),
        /** Every endpoint is draining: taken out of rotation on purpose, healthy or not. */
        ALL_DRAINING("all endpoints draining"),
        /** Every eligible endpoint is at its load limit. */
        ALL_OVER_CAPACITY("all endpoints over capacity");

        private final String description;
        private final Unavailable result;

        Reason(String description) {
            this.description = description;
            this.result = new Unavailable(this);
        }

        /** Human-readable, for error bodies and logs. */
        public String description() {
            return description;
        }

        /** The shared result for this reason. */
        public Unavailable result() {
            return result;
        }
    }
}
