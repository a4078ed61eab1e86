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
}
