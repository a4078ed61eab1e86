package dev.ballast.core.pick;

import dev.ballast.core.state.LoadObserver;
import dev.ballast.core.time.Ticker;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * {@code least-connections}: the endpoint with the fewest in-flight requests per unit of weight,
 * exactly, with ties taken in turn.
 *
 * <p>A scan over 1,000 endpoints per pick is too slow (up to {@value LeastConnectionsScan#MAX_ENDPOINTS}
 * endpoints {@link LeastConnectionsScan} does scan), so the picker keeps a min-tree: each node holds
 * the smallest load below it. The tree is {@value #FANOUT}-ary rather than binary because every level
 * an update climbs costs a compare-and-set; 1,000 endpoints need two levels above the leaves instead
 * of ten (32 leaves a group, four or five cache lines to scan; measured faster than 16 at 100 and
 * 1,000 endpoints, docs/benchmarks.md). Nodes above the leaves sit a line pair apart, so a scan of
 * them reads a line per node; it is rare (the root's children, when a group's minimum changes or a
 * pick finds nothing light enough in its own group). Every acquire and release updates one leaf and the ancestors
 * whose minimum changed; a pick reads the minimum at the root and descends to the first leaf at or
 * after a rotating cursor that holds it. Both are lock-free and allocation-free.
 *
 * <p>Concurrent updates: a node stores {@code load << 16 | version}, and every writer that passes a
 * node bumps its version with a CAS from the value it read, even when the load stays the same. When
 * a child's load fell (a release), the node becomes {@code min(node, child)}, the child re-read after
 * the node: no scan of the others. When it rose (an acquire), nothing changes unless it held the
 * minimum, and then the children are counted again, stopping at the first other child that still
 * holds it; in that case the node needs no bump, since anyone who saw the old load computes the same
 * minimum. A writer whose view of the children went stale meanwhile finds the node's version changed
 * by the writer that changed them, fails its CAS and recomputes, so no stale minimum survives the
 * last update. Climbing stops at the first node whose load did not change.
 *
 * <p>Cost (docs/benchmarks.md): a pick and its release over 1,000 endpoints mostly take three CASes
 * (the leaf twice, its group once), a partial scan of a group's 32 leaves, and a short search.
 */
final class LeastConnections implements Picker, LoadObserver {

    static final int FANOUT = 32;
    private static final int FANOUT_BITS = Integer.numberOfTrailingZeros(FANOUT);

    /**
     * Loads are (active + 1) / weight in fixed point: {@code (active + 1) x ceil(2^27 / weight)}. A
     * multiplication by a precomputed reciprocal, because a 64-bit division costs more than the rest of
     * an update. The rounding error, under {@code active + 1} units, never reorders two endpoints whose
     * loads differ (the difference is at least 2^27 / (w1 x w2) units) unless weights are in the
     * thousands and loads near-equal; such near-ties are then broken by rounding instead of in turn.
     */
    private static final int FRACTION_BITS = 27;
    private static final int VERSION_BITS = 16;
    private static final long VERSION_MASK = (1L << VERSION_BITS) - 1;
    /** Loads saturate here: a million requests in flight per unit of weight. */
    private static final long MAX_LOAD = (1L << (63 - VERSION_BITS)) - 1;


    /**
     * Nodes are read with acquire and written by CAS; children in a scan with opaque reads, which are
     * cheaper and suffice: they come after the acquire read of the node, and a child changed after
     * them is followed by its writer's own read and CAS of the node, so one of the two CASes fails.
     */
    private static final VarHandle NODE = MethodHandles.arrayElementVarHandle(long[].class);
    /**
     * Above the leaves, node j sits at index j << SPREAD_BITS (128 bytes apart): every release passes its
     * group's node with a CAS, and threads picking from different groups must not write one line.
     */
    private static final int SPREAD_BITS = 4;

    private final EndpointSet endpoints;
    /** levels[0] are the leaves, one per endpoint; node j of level k covers nodes FANOUT j.. of level k - 1. */
    private final long[][] levels;
    /** How many nodes each level has (levels above the leaves are longer: their nodes are spread). */
    private final int[] widths;
    private final long[] root;
    private final long[] reciprocal;
    /**
     * Where the search for a least-loaded endpoint starts, advanced by every pick so that ties go in
     * turn. Per stripe of threads, so threads do not write one shared line per pick; busy threads walk
     * arcs of their own, so they do not read the leaves and counters the others just wrote. Relaxed: a
     * lost increment under a race only repeats a starting point, and an atomic increment would cost a
     * tenth of the pick.
     */
    private final StripedCursor cursor;

    LeastConnections(EndpointSet endpoints, Rng rng, Ticker ticker) {
        this.endpoints = endpoints;
        int n = endpoints.size();
        this.reciprocal = reciprocals(endpoints);
        int height = 1;
        for (int width = n; width > 1; width = (width + FANOUT - 1) >>> FANOUT_BITS) {
            height++;
        }
        this.levels = new long[height][];
        this.widths = new int[height];
        int width = n;
        for (int k = 0; k < height; k++) {
            // Padded to whole groups of FANOUT; padding holds MAX_LOAD and is never picked.
            widths[k] = k == height - 1 ? 1 : roundUp(width);
            levels[k] = new long[k == 0 ? widths[k] : widths[k] << SPREAD_BITS];
            for (int j = 0; j < widths[k]; j++) {
                long load = k > 0 ? minOfChildren(k, j) : j < n ? load(j, endpoints.get(j).active()) : MAX_LOAD;
                levels[k][at(k, j)] = load << VERSION_BITS;
            }
            width = (width + FANOUT - 1) >>> FANOUT_BITS;
        }
        this.root = levels[height - 1];
        this.cursor = new StripedCursor(n, rng, ticker);
        for (int j = 0; j < n; j++) {
            endpoints.get(j).bindLoadObserver(this, j);
        }
        // Loads that changed between the initial read and the binding above.
        for (int j = 0; j < n; j++) {
            loadChanged(j, endpoints.get(j).active(), 0);
        }
    }

    private static int roundUp(int width) {
        return (width + FANOUT - 1) & -FANOUT;
    }

    /** The array index of node {@code j} of level {@code k}. */
    private static int at(int k, int j) {
        return k == 0 ? j : j << SPREAD_BITS;
    }

    @Override
    public PickResult pick(PickContext context) {
        long min = score((long) NODE.getAcquire(root, 0));
        int start = cursor.nextRelaxed();
        int index = firstAtMost(start, min);
        if (index < 0) {
            index = firstAtMost(0, min);
        }
        if (index < 0) {
            index = descendToMin(); // the tree moved under us: take whatever is least now
        }
        return Pickers.take(endpoints.get(index));
    }

    @Override
    public void loadChanged(int slot, int active, int delta) {
        long[] leaves = levels[0];
        long before;
        long load;
        do {
            before = (long) NODE.getAcquire(leaves, slot);
            // Re-read the live count: a concurrent change may have overtaken the one we were told of.
            load = load(slot, endpoints.get(slot).active());
        } while (!NODE.compareAndSet(leaves, slot, before, load << VERSION_BITS | (before + 1 & VERSION_MASK)));
        long was = score(before);
        int child = slot;
        for (int k = 1; k < levels.length && load != was; k++) {
            int node = child >>> FANOUT_BITS;
            long[] level = levels[k];
            int index = at(k, node);
            boolean fell = load < was;
            long changedTo;
            do {
                before = (long) NODE.getAcquire(level, index);
                long current = score(before);
                if (fell) {
                    // The child as it is now, not as we left it: it may have risen again since.
                    changedTo = Math.min(current, score(read(k - 1, child)));
                } else if (current < was) {
                    changedTo = current; // it was not the minimum: rising changes nothing
                } else {
                    changedTo = minAfterRise(k, node, child, was);
                    if (changedTo == was && current == was) {
                        // Another child still holds the minimum: no change, and no bump either, since a
                        // writer that saw this child's old load computes this same minimum.
                        return;
                    }
                }
            } while (!NODE.compareAndSet(level, index, before, changedTo << VERSION_BITS | (before + 1 & VERSION_MASK)));
            was = score(before);
            load = changedTo;
            child = node;
        }
    }

    /**
     * The minimum of node {@code node}'s children after {@code risen}, which held the minimum
     * {@code was}, rose: {@code was} again as soon as another child still holds it, else a full count.
     */
    private long minAfterRise(int k, int node, int risen, long was) {
        long[] children = levels[k - 1];
        int first = node << FANOUT_BITS;
        int end = Math.min(first + FANOUT, widths[k - 1]);
        long min = MAX_LOAD;
        for (int child = first; child < end; child++) {
            long load = score((long) NODE.getOpaque(children, at(k - 1, child)));
            if (load == was && child != risen) {
                return load; // as low as the old minimum: still the minimum
            }
            min = Math.min(min, load);
        }
        return min;
    }

    /** True when every leaf holds its endpoint's load and every node the minimum of its children: for tests, at rest. */
    boolean isSettled() {
        for (int j = 0; j < endpoints.size(); j++) {
            if (score(levels[0][j]) != load(j, endpoints.get(j).active())) {
                return false;
            }
        }
        for (int k = 1; k < levels.length; k++) {
            for (int node = 0; node < widths[k]; node++) {
                if (score(levels[k][at(k, node)]) != minOfChildren(k, node)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The smallest load among the children of node {@code node} of level {@code k}. */
    private long minOfChildren(int k, int node) {
        long[] children = levels[k - 1];
        int first = node << FANOUT_BITS;
        int end = Math.min(first + FANOUT, widths[k - 1]);
        long min = MAX_LOAD;
        for (int child = first; child < end; child++) {
            min = Math.min(min, score((long) NODE.getOpaque(children, at(k - 1, child))));
        }
        return min;
    }

    /** Node {@code j} of level {@code k}, read with acquire. */
    private long read(int k, int j) {
        return (long) NODE.getAcquire(levels[k], at(k, j));
    }

    /** The load that orders endpoints: (active + 1) / weight, fixed point. */
    private long load(int slot, int active) {
        return load(reciprocal[slot], active);
    }

    /**
     * Each endpoint's {@code ceil(2^27 / weight)}: what {@link #load(long, int)} multiplies by instead of
     * dividing by the weight.
     */
    static long[] reciprocals(EndpointSet endpoints) {
        long[] reciprocals = new long[endpoints.size()];
        for (int j = 0; j < reciprocals.length; j++) {
            int weight = endpoints.weight(j);
            reciprocals[j] = ((1L << FRACTION_BITS) + weight - 1) / weight;
        }
        return reciprocals;
    }

    /** (active + 1) / weight in fixed point, given the weight's reciprocal ({@link #reciprocals}); the order of both pickers. */
    static long load(long reciprocal, int active) {
        long requests = Math.min((long) Math.max(0, active) + 1, Integer.MAX_VALUE);
        return Math.min(requests * reciprocal, MAX_LOAD);
    }

    private static long score(long node) {
        return node >>> VERSION_BITS;
    }

    /**
     * The first endpoint at or after {@code from} whose load is at most {@code max}, or -1. Climbs
     * from the leaf while the rest of each group holds nothing light enough, then descends into the
     * first group that does.
     */
    private int firstAtMost(int from, long max) {
        int node = from;
        for (int k = 0; k < levels.length; k++) {
            int groupEnd = Math.min((node | (FANOUT - 1)) + 1, widths[k]);
            for (int j = node; j < groupEnd; j++) {
                if (score(read(k, j)) <= max) {
                    return descend(k, j, max);
                }
            }
            node = (node >>> FANOUT_BITS) + 1; // the next group up, after the one just searched
            if (k + 1 < levels.length && node >= widths[k + 1]) {
                return -1;
            }
        }
        return -1;
    }

    /** From node {@code j} of level {@code k}, down to its first leaf with load at most {@code max}, or -1. */
    private int descend(int k, int j, long max) {
        int node = j;
        for (int level = k; level > 0; level--) {
            int first = node << FANOUT_BITS;
            int end = Math.min(first + FANOUT, widths[level - 1]);
            int found = -1;
            for (int child = first; child < end; child++) {
                if (score(read(level - 1, child)) <= max) {
                    found = child;
                    break;
                }
            }
            if (found < 0) {
                return -1; // changed since the parent was read
            }
            node = found;
        }
        return node < endpoints.size() ? node : -1;
    }

    private int descendToMin() {
        int node = 0;
        for (int k = levels.length - 1; k > 0; k--) {
            int first = node << FANOUT_BITS;
            int end = Math.min(first + FANOUT, widths[k - 1]);
            int best = first;
            for (int child = first + 1; child < end; child++) {
                if (score(read(k - 1, child)) < score(read(k - 1, best))) {
                    best = child;
                }
            }
            node = best;
        }
        return Math.min(node, endpoints.size() - 1);
    }

    @Override
    public boolean redrawsVary() {
        return false; // the least loaded endpoint again, the one passed over as like as not
    }
}
