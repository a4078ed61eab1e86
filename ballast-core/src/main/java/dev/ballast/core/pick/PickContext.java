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
     * An endpoint to avoid, such as the one a retry just failed on; null for none. The balancer picks
     * another endpoint whenever one is eligible.
     */
    default EndpointState avoid() {
        return null;
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
