package dev.ballast.core.pick;

import dev.ballast.core.internal.XxHash64;
import dev.ballast.core.state.EndpointRegistry;
import dev.ballast.core.state.EndpointState;

import java.util.Arrays;

/**
 * {@code ring-hash}: consistent hashing on a ring of virtual nodes (Karger et al. 1997), as Envoy's
 * and ketama's. Each endpoint owns {@code weight x VNODES_PER_WEIGHT} points at
 * {@code XXH64("address_i")}; a key goes to the first point at or after its hash. Adding or removing
 * one of N endpoints moves only the keys of that endpoint, about 1/N.
 *
 * <p>The number of points per unit of weight is fixed (not derived from the set's size) so that a
 * membership change does not reshuffle the others' points; only a very large total weight scales it
 * down to keep the ring within {@link #MAX_RING_SIZE}.
 */
final class RingHash implements Picker {

    static final int VNODES_PER_WEIGHT = 160;
    static final int MAX_RING_SIZE = 1 << 20;

    private final EndpointSet endpoints;
    private final Rng rng;
    private final BoundedLoad bound;
    private final EndpointRegistry registry;
    /** Point hashes, sign bit flipped so signed order equals unsigned order; sorted. */
    private final long[] points;
    private final int[] owners;

    RingHash(EndpointSet endpoints, Rng rng, BoundedLoad bound) {
        this.endpoints = endpoints;
        this.rng = rng;
        this.bound = bound;
        this.registry = endpoints.get(0).registry();
        int n = endpoints.size();
        double perWeight = Math.min(VNODES_PER_WEIGHT, (double) MAX_RING_SIZE / endpoints.totalWeight());
        int[] counts = new int[n];
        int total = 0;
        for (int i = 0; i < n; i++) {
            counts[i] = Math.max(1, (int) Math.round(endpoints.weight(i) * perWeight));
            total += counts[i];
        }
        long[] entries = new long[total];
        int[] entryOwners = new int[total];
        int k = 0;
        for (int i = 0; i < n; i++) {
            String address = endpoints.get(i).address();
            for (int v = 0; v < counts[i]; v++) {
                entries[k] = XxHash64.hash(address + "_" + v, 0) ^ Long.MIN_VALUE;
                entryOwners[k] = i;
                k++;
            }
        }
        // Sort points, carrying owners along; ties (astronomically rare) keep a stable order by owner.
        Integer[] order = new Integer[total];
        for (int i = 0; i < total; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> entries[x] != entries[y]
                ? Long.compare(entries[x], entries[y])
                : Integer.compare(entryOwners[x], entryOwners[y]));
        this.points = new long[total];
        this.owners = new int[total];
        for (int i = 0; i < total; i++) {
            points[i] = entries[order[i]];
            owners[i] = entryOwners[order[i]];
        }
    }

    @Override
    public PickResult pick(PickContext context) {
        int position = context.hasHash() ? locate(context.hash()) : rng.nextInt(points.length);
        if (bound == null) {
            return Pickers.take(endpoints.get(owners[position]));
        }
        int capacity = bound.capacity(registry, endpoints.size());
        for (int step = 0; step < points.length; step++) {
            EndpointState candidate = endpoints.get(owners[(position + step) % points.length]);
            if (candidate.tryAcquire(capacity)) {
                return candidate.picked();
            }
        }
        return PickResult.Reason.ALL_OVER_CAPACITY.result();
    }

    /** The first point at or after {@code hash}, wrapping to the start. */
    private int locate(long hash) {
        long key = hash ^ Long.MIN_VALUE;
        int lo = 0;
        int hi = points.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (points[mid] < key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo == points.length ? 0 : lo;
    }

    /** The member index a key maps to, ignoring load: for tests of consistency. */
    int ownerOf(long hash) {
        return owners[locate(hash)];
    }

    int ringSize() {
        return points.length;
    }
}
