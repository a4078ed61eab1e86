package dev.ballast.core.pick;

import dev.ballast.core.state.EndpointState;
import dev.ballast.core.state.LoadObserver;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * {@code least-connections}: the endpoint with the fewest in-flight requests per unit of weight,
 * exactly, with ties taken in turn.
 *
 * <p>A scan over 1,000 endpoints per pick is too slow, so the picker keeps a min-tree (a segment tree
 * whose nodes hold the smallest load below them). Every acquire and release updates one leaf and
 * the ancestors whose minimum changed; a pick reads the minimum at the root and descends to the first
 * leaf at or after a rotating cursor that holds it. Both are O(log n), lock-free and allocation-free.
 *
 * <p>Concurrent updates: a node stores {@code load << 16 | version}. An updater reads the node, then
 * its children, and CASes the node from what it read to the new minimum with the version bumped. A
 * writer that computed from children that changed meanwhile finds the node changed too (every
 * writer bumps the version, even when the minimum is the same) and recomputes, so no stale minimum
 * survives the last update.
 */
final class LeastConnections implements Picker, LoadObserver {

    /** Loads are (active + 1) / weight in fixed point with this many fractional bits. */
    private static final int FRACTION_BITS = 20;
    private static final int VERSION_BITS = 16;
    private static final long VERSION_MASK = (1L << VERSION_BITS) - 1;
    private static final long MAX_LOAD = (1L << (63 - VERSION_BITS)) - 1;

    private final EndpointSet endpoints;
    private final int leaves;
    /** Heap layout: node 1 is the root, node i has children 2i and 2i+1, leaf j is node leaves + j. */
    private final AtomicLongArray tree;
    private final AtomicInteger cursor;

    LeastConnections(EndpointSet endpoints, Rng rng) {
        this.endpoints = endpoints;
        int n = endpoints.size();
        this.leaves = Integer.highestOneBit(Math.max(1, n - 1)) << 1;
        this.tree = new AtomicLongArray(2 * leaves);
        for (int j = 0; j < leaves; j++) {
            long load = j < n ? load(j, endpoints.get(j).active()) : MAX_LOAD;
            tree.set(leaves + j, load << VERSION_BITS);
        }
        for (int node = leaves - 1; node >= 1; node--) {
            tree.set(node, Math.min(score(tree.get(2 * node)), score(tree.get(2 * node + 1))) << VERSION_BITS);
        }
        this.cursor = new AtomicInteger(rng.nextInt(Integer.MAX_VALUE));
        for (int j = 0; j < n; j++) {
            endpoints.get(j).bindLoadObserver(this, j);
        }
        // Loads that changed between the initial read and the binding above.
        for (int j = 0; j < n; j++) {
            loadChanged(j, endpoints.get(j).active());
        }
    }

    @Override
    public PickResult pick(PickContext context) {
        int n = endpoints.size();
        long min = score(tree.get(1));
        int start = (cursor.getAndIncrement() & Integer.MAX_VALUE) % n;
        int index = firstAtMost(1, 0, leaves, start, min);
        if (index < 0 || index >= n) {
            index = firstAtMost(1, 0, leaves, 0, min);
        }
        if (index < 0 || index >= n) {
            index = descendToMin(); // the tree moved under us: take whatever is least now
        }
        return Pickers.take(endpoints.get(index));
    }

    @Override
    public void loadChanged(int slot, int active) {
        int node = leaves + slot;
        long prev;
        long next;
        do {
            prev = tree.get(node);
            // Re-read the live count: a concurrent change may have overtaken the one we were told of.
            next = load(slot, endpoints.get(slot).active()) << VERSION_BITS | (prev + 1 & VERSION_MASK);
        } while (!tree.compareAndSet(node, prev, next));
        for (node >>>= 1; node >= 1; node >>>= 1) {
            long changedTo;
            long before;
            do {
                before = tree.get(node);
                changedTo = Math.min(score(tree.get(2 * node)), score(tree.get(2 * node + 1)));
            } while (!tree.compareAndSet(node, before, changedTo << VERSION_BITS | (before + 1 & VERSION_MASK)));
            if (changedTo == score(before)) {
                break; // ancestors computed from this node's minimum are still right
            }
        }
    }

    /** The load that orders endpoints: (active + 1) / weight, fixed point. */
    private long load(int slot, int active) {
        long load = ((long) Math.max(0, active) + 1 << FRACTION_BITS) / endpoints.weight(slot);
        return Math.min(load, MAX_LOAD);
    }

    private static long score(long node) {
        return node >>> VERSION_BITS;
    }

    /** The first leaf index in [from, hi) below {@code node} (covering [lo, hi)) with load <= max, or -1. */
    private int firstAtMost(int node, int lo, int hi, int from, long max) {
        if (hi <= from || score(tree.get(node)) > max) {
            return -1;
        }
        if (node >= leaves) {
            return node - leaves;
        }
        int mid = (lo + hi) >>> 1;
        int found = firstAtMost(2 * node, lo, mid, from, max);
        return found >= 0 ? found : firstAtMost(2 * node + 1, mid, hi, from, max);
    }

    private int descendToMin() {
        int node = 1;
        while (node < leaves) {
            node = score(tree.get(2 * node)) <= score(tree.get(2 * node + 1)) ? 2 * node : 2 * node + 1;
        }
        return Math.min(node - leaves, endpoints.size() - 1);
    }
}
