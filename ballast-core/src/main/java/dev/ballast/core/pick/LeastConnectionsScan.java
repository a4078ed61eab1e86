package dev.ballast.core.pick;

import dev.ballast.core.time.Ticker;

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
 * Each thread's scan starts from its stripe's own rotating position ({@link StripedCursor}; a few
 * endpoints are too few to split into arcs).
 */
final class LeastConnectionsScan implements Picker {

    /** Sets of up to this many endpoints are scanned; larger ones get the tree. */
    static final int MAX_ENDPOINTS = 32;

    private final EndpointSet endpoints;
    private final long[] reciprocal;
    private final StripedCursor cursor;

    LeastConnectionsScan(EndpointSet endpoints, Rng rng, Ticker ticker) {
        this.endpoints = endpoints;
        this.reciprocal = LeastConnections.reciprocals(endpoints);
        this.cursor = new StripedCursor(endpoints.size(), rng, ticker);
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

    @Override
    public boolean redrawsVary() {
        return false; // the least loaded endpoint again, the one passed over as like as not
    }
}
