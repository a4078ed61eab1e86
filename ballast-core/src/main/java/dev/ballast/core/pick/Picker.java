package dev.ballast.core.pick;

/**
 * Picks an endpoint from one immutable {@link EndpointSet}. Built by a {@link Policy} each time the
 * set changes and replaced as a whole.
 *
 * <p>Contract: thread-safe, lock-free, allocation-free and exception-free. On {@link PickResult.Picked}
 * the endpoint's in-flight count has already been incremented.
 */
@FunctionalInterface
public interface Picker {

    PickResult pick(PickContext context);

    /**
     * When the endpoint picked must be passed over (a retry avoids it, or it is full), the most requests
     * another may hold for this picker's rule to stand: a bounded-load picker's cap, else no limit.
     */
    default int spillCapacity() {
        return Integer.MAX_VALUE;
    }

    /** True when passing over goes to the next endpoint in set order (active/standby), not a random one. */
    default boolean spillsInOrder() {
        return false;
    }

    /**
     * True when another pick for the same request may land elsewhere (the next turn, another draw),
     * so that passing over an endpoint can ask the picker again and keep to its weights and loads;
     * false for a picker that always answers a request with the same endpoint (by its key's hash).
     */
    default boolean redrawsVary() {
        return true;
    }
}
