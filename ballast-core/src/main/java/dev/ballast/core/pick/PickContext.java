package dev.ballast.core.pick;

import dev.ballast.core.state.EndpointState;

/**
 * What a balancer may know about the request it picks for. Implemented by the caller's own
 * per-request object so that a pick allocates nothing.
 */
public interface PickContext {

    /**
     * The request's affinity key hashed with {@link HashKeys#hash(CharSequence)}, for {@code ring-hash}
     * and {@code maglev}. Only meaningful when {@link #hasHash()} is true.
     */
    default long hash() {
        return 0;
    }

    /** False when the request carries no affinity key; hash balancers then pick at random. */
    default boolean hasHash() {
        return false;
    }

    /**
     * The endpoint most to avoid, such as the one a retry just failed on; null for none. The balancer
     * picks another endpoint whenever one is eligible.
     */
    default EndpointState avoid() {
        return null;
    }

    /**
     * True for every endpoint the request should not go to while another is eligible: all those its
     * earlier tries failed on, not only the last ({@link #avoid()}, the default). When every eligible
     * endpoint is avoided, the balancer still prefers one other than {@link #avoid()}.
     */
    default boolean avoids(EndpointState endpoint) {
        return endpoint == avoid();
    }

    /** No key, nothing to avoid. */
    PickContext NONE = new PickContext() { };

    /** A context carrying a hash key; allocates, so for tests and the control path. */
    static PickContext ofHash(long hash) {
        return new PickContext() {
            @Override
            public long hash() {
                return hash;
            }

            @Override
            public boolean hasHash() {
                return true;
            }
        };
    }
}
