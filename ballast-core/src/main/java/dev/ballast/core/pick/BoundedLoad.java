package dev.ballast.core.pick;

import dev.ballast.core.state.EndpointState;


/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam 2017, "Consistent
 * Hashing with Bounded Loads"): no endpoint takes more than {@code ceil(c x average)} in-flight
 * requests, where the average counts the request being placed. A key whose endpoint is full walks on
 * to the next one in hash order, so keys still stick while the load stays even.
 *
 * <p>The cap is enforced with {@code tryAcquire}, an atomic check-and-increment, so it holds under
 * concurrent picks too.
 */
record BoundedLoad(double factor) {

    /** The paper's and Vimeo's choice: at most 25% over the average. */
    static final double DEFAULT_FACTOR = 1.25;

    BoundedLoad {
        if (!(factor >= 1.0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("bounded load factor: " + factor + " (expected: >= 1.0)");
        }
    }

    /** The places a key's walk visits in order, wrapping: a ring's points, a table's slots. */
    interface Walk {

        int places();

        EndpointState at(int place);
    }

    /**
     * The first endpoint with room from {@code start} on. When every one is at the cap read before the
     * walk, picks that landed meanwhile raised the total, and the cap with it: the walk goes again under
     * the new cap, and refuses only when the cap is unchanged (it grows each time, so the loop ends).
     */
    PickResult take(Walk walk, int start, LoadTotal total, int size) {
        int places = walk.places();
        int capacity = capacity(total.sum(), size);
        while (true) {
            for (int step = 0; step < places; step++) {
                EndpointState candidate = walk.at((start + step) % places);
                if (candidate.tryAcquire(capacity)) {
                    return candidate.picked();
                }
            }
            int now = capacity(total.sum(), size);
            if (now <= capacity) {
                return PickResult.Reason.ALL_OVER_CAPACITY.result();
            }
            capacity = now;
        }
    }

    /** The per-endpoint cap for the next request over {@code size} endpoints holding {@code total} in flight. */
    int capacity(long total, int size) {
        double average = (double) (total + 1) / size;
        return (int) Math.min(Integer.MAX_VALUE, (long) Math.ceil(factor * average));
    }
}
