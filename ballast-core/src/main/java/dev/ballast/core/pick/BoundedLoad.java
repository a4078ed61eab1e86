package dev.ballast.core.pick;


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

    /** The per-endpoint cap for the next request over {@code size} endpoints holding {@code total} in flight. */
    int capacity(long total, int size) {
        double average = (double) (total + 1) / size;
        return (int) Math.min(Integer.MAX_VALUE, (long) Math.ceil(factor * average));
    }
}
