package dev.ballast.core.pick;

/**
 * {@code least-connections} over a few endpoints: the same choice as {@link LeastConnections} (the
 * fewest in-flight requests per unit of weight, exactly, ties in turn), found by reading every
 * endpoint's count instead of keeping a tree.
 *
 * <p>Over a few endpoints the tree costs more than it saves on several cores: its leaves share a cache
 * line, and the root's minimum changes with nearly every request, so every acquire and release writes
 * lines that the other threads' picks read next (three endpoints, two threads: about 800 ns a pick). A
 * scan writes nothing but the picked endpoint's own count. Up to {@value #MAX_ENDPOINTS} endpoints it is
 * the faster of the two on two threads, and within 25 ns of the tree on one (docs/benchmarks.md).
 * Busy threads start their scans on arcs of their own ({@link StripedCursor}), so at rest they tend to
 * pick different endpoints.
 */
final class LeastConnectionsScan implements Picker {

    /** Sets of up to this many endpoints are scanned; larger ones get the tree. */
    static final int MAX_ENDPOINTS = 32;

    private final EndpointSet endpoints;
    private final long[] reciprocal;
    private final StripedCursor cursor;

    LeastConnectionsScan(EndpointSet endpoints, Rng rng) {
        this.endpoints = endpoints;
        int n = endpoints.size();
        this.reciprocal = new long[n];
        for (int j = 0; j < n; j++) {
            reciprocal[j] = LeastConnections.reciprocal(endpoints.weight(j));
        }
        this.cursor = new StripedCursor(n, rng, endpoints.get(0).registry().ticker());
    }

    @Override
    public PickResult pick(PickContext context) {
        int n = reciprocal.length;
        int start = cursor.nextRelaxed();
        int best = start;
        long least = LeastConnections.load(reciprocal[start], endpoints.get(start).active());
        for (int k = 1; k < n; k++) {
            int j = start + k < n ? start + k : start + k - n;
            long load = LeastConnections.load(reciprocal[j], endpoints.get(j).active());
            if (load < least) {
                least = load;
                best = j;
            }
        }
        return Pickers.take(endpoints.get(best));
    }
}
