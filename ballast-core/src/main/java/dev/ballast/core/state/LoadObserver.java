package dev.ballast.core.state;

/**
 * Told each time an endpoint's in-flight count changes, so a balancer can keep an index over the
 * counts (least-connections keeps a min-tree over more than a few endpoints) instead of scanning every
 * endpoint per pick.
 *
 * <p>Called on the request path, from any thread, concurrently: implementations must be lock-free
 * and must not allocate.
 */
@FunctionalInterface
public interface LoadObserver {

    /**
     * The count of the endpoint bound at {@code slot} is now {@code active}, after a change of
     * {@code delta} (+1 for a request picked, -1 for one released).
     */
    void loadChanged(int slot, int active, int delta);

    /** Observes nothing: the default binding. */
    LoadObserver NONE = (slot, active, delta) -> { };
}
