package dev.ballast.core.pick;

import dev.ballast.core.internal.XxHash64;
import dev.ballast.core.state.EndpointState;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * {@code ring-hash}: consistent hashing on a ring of virtual nodes (Karger et al. 1997), as Envoy's
 * and ketama's. Each endpoint owns {@code weight x VNODES_PER_WEIGHT} points at
 * {@code XXH64("address_i")}; a key goes to the first point at or after its hash (compared above the
 * few low bits that hold the point's owner). Adding or removing
 * one of N endpoints moves only the keys of that endpoint, about 1/N.
 *
 * <p>The number of points per unit of weight is fixed (not derived from the set's size) so that a
 * membership change does not reshuffle the others' points; only a very large total configured weight
 * halves it (see {@link #pointsPerConfiguredWeight}) to keep the ring within {@link #MAX_RING_SIZE}.
 */
final class RingHash implements Picker, BoundedLoad.Walk {

    static final int VNODES_PER_WEIGHT = 160;
    static final int MAX_RING_SIZE = 1 << 20;

    private final EndpointSet endpoints;
    private final Rng rng;
    private final BoundedLoad bound;
    /** In flight over these endpoints, for the bound; null without one. */
    private final LoadTotal total;
    /**
     * The ring, sorted: each point's hash (sign bit flipped, so signed order is unsigned order) with
     * its low {@link #ownerBits} bits replaced by its owner's rank by address. One array, so a lookup
     * touches one cache line for both the point and its owner; keys compare on the bits above.
     * Ranks, not list positions, so the ring is the same however the membership is listed.
     */
    private final long[] points;
    private final long ownerMask;
    /** The member index of each rank. */
    private final int[] byRank;
    /**
     * A lookup index over the ring: {@code bucketStart[b]} is the first point whose hash has top bits
     * {@code >= b}. A key then only compares against the few points of its own bucket (about four)
     * instead of a binary search whose twenty steps miss the cache on large rings.
     */
    private final int[] bucketStart;
    private final int bucketShift;

    RingHash(EndpointSet endpoints, Rng rng, BoundedLoad bound) {
        this.endpoints = endpoints;
        this.rng = rng;
        this.bound = bound;
        int n = endpoints.size();
        this.byRank = IntStream.range(0, n).boxed()
                .sorted(Comparator.comparing(i -> endpoints.get(i).address()))
                .mapToInt(Integer::intValue)
                .toArray();
        int ownerBits = Math.max(1, 32 - Integer.numberOfLeadingZeros(n - 1));
        this.ownerMask = (1L << ownerBits) - 1;
        // Points per effective weight unit: a configured weight of 1 gets VNODES_PER_WEIGHT points
        // whatever the unit, so that an endpoint ramping up (slow start) takes a growing share of its
        // own points and moves no other endpoint's keys.
        double unit = endpoints.weightUnit();
        double perWeight = pointsPerConfiguredWeight(endpoints) / unit;
        int total = 0;
        for (int i = 0; i < n; i++) {
            total += Math.max(1, (int) Math.round(endpoints.weight(i) * perWeight));
        }
        this.points = new long[total];
        int k = 0;
        StringBuilder name = new StringBuilder();
        for (int rank = 0; rank < n; rank++) {
            int member = byRank[rank];
            int count = Math.max(1, (int) Math.round(endpoints.weight(member) * perWeight));
            name.setLength(0);
            name.append(endpoints.get(member).address()).append('_');
            int prefix = name.length();
            for (int v = 0; v < count; v++) {
                name.setLength(prefix);
                name.append(v); // point v of an endpoint is at XXH64("address_v")
                points[k++] = (XxHash64.hash(name, 0) ^ Long.MIN_VALUE) & ~ownerMask | rank;
            }
        }
        Arrays.sort(points);
        int bucketBits = Math.max(1, 64 - Long.numberOfLeadingZeros(Math.max(1, total - 1)) - 2);
        this.bucketShift = 64 - bucketBits;
        this.bucketStart = new int[(1 << bucketBits) + 1];
        int point = 0;
        for (int bucket = 0; bucket <= 1 << bucketBits; bucket++) {
            while (point < total && (points[point] ^ Long.MIN_VALUE) >>> bucketShift < bucket) {
                point++;
            }
            bucketStart[bucket] = point;
        }
        // Bound last: until this picker is published, the one in force counts the load (see Balancer.rebuild).
        this.total = bound == null ? null : LoadTotal.bind(endpoints);
    }

    /**
     * {@link #VNODES_PER_WEIGHT}, halved as often as the configured weights need to keep the ring within
     * {@link #MAX_RING_SIZE}. From the configured weights, not the ramped ones, so a slow-start step
     * rescales nobody; and in halvings, so a membership change rescales every endpoint's points (moving
     * keys between endpoints that stayed) only when the total crosses a power of two, not at every
     * change once it is large.
     */
    static int pointsPerConfiguredWeight(EndpointSet endpoints) {
        long configured = 0;
        for (int i = 0; i < endpoints.size(); i++) {
            configured += endpoints.get(i).endpoint().weight();
        }
        int points = VNODES_PER_WEIGHT;
        while (points > 1 && configured * points > MAX_RING_SIZE) {
            points >>= 1;
        }
        return points;
    }

    @Override
    public PickResult pick(PickContext context) {
        int position = context.hasHash() ? locate(context.hash()) : rng.nextInt(points.length);
        if (bound == null) {
            return Pickers.take(endpoints.get(ownerAt(position)));
        }
        return bound.take(this, position, total, endpoints.size());
    }

    @Override
    public int spillCapacity() {
        return bound == null ? Integer.MAX_VALUE : bound.capacity(total.sum(), endpoints.size());
    }

    @Override
    public int places() {
        return points.length;
    }

    @Override
    public EndpointState at(int point) {
        return endpoints.get(ownerAt(point));
    }

    /** The first point at or after {@code hash}, wrapping to the start. */
    private int locate(long hash) {
        long key = (hash ^ Long.MIN_VALUE) & ~ownerMask; // the lowest point with these top bits
        int bucket = (int) (hash >>> bucketShift);
        int index = bucketStart[bucket];
        int end = bucketStart[bucket + 1];
        while (index < end && points[index] < key) {
            index++; // every point of earlier buckets is below the key, every later one above
        }
        return index == points.length ? 0 : index;
    }

    /** The member index a key maps to, ignoring load: for tests of consistency. */
    int ownerOf(long hash) {
        return ownerAt(locate(hash));
    }

    private int ownerAt(int point) {
        return byRank[(int) (points[point] & ownerMask)];
    }

    int ringSize() {
        return points.length;
    }

    /** The {@code index}-th point in ring order, as the lowest key hash that lands on it: for tests. */
    long pointHash(int index) {
        return (points[index] & ~ownerMask) ^ Long.MIN_VALUE;
    }

    int ownerAtPoint(int index) {
        return ownerAt(index);
    }

    @Override
    public boolean redrawsVary() {
        return false; // a request lands by its key: the same endpoint again
    }
}
