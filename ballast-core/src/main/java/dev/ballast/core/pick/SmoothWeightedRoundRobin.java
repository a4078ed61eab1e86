package dev.ballast.core.pick;

import dev.ballast.core.time.Ticker;

/**
 * {@code weighted-round-robin}: NGINX's smooth weighted round robin. Each step adds every endpoint's
 * weight to its running score, picks the highest score and takes the total weight off it; over a
 * cycle of {@code sum(weights)} picks each endpoint gets exactly its weight, spread out rather than in
 * bursts (weights 5,1,1 give a a b a c a a, not a a a a a b c).
 *
 * <p>NGINX runs that step under the upstream's lock. Here the whole cycle is computed once per
 * snapshot and picks walk it with the turn {@link RoundRobin} takes ({@link BatchedTurn}), so the data
 * path stays lock-free. Weights are first divided by their GCD; a cycle longer than {@link #maxCycle} is scaled
 * down to fit, which keeps proportions to within one pick per endpoint per cycle.
 */
final class SmoothWeightedRoundRobin implements Picker {

    /** Bounds the table (and its O(cycle x endpoints) build) for large, finely weighted upstreams. */
    static final long MAX_BUILD_STEPS = 1L << 25;

    private final EndpointSet endpoints;
    private final int[] schedule;
    private final BatchedTurn cursor;

    SmoothWeightedRoundRobin(EndpointSet endpoints, Rng rng, Ticker ticker) {
        this.endpoints = endpoints;
        this.schedule = buildSchedule(scaledWeights(endpoints));
        this.cursor = new BatchedTurn(rng.nextInt(Integer.MAX_VALUE), ticker);
    }

    @Override
    public PickResult pick(PickContext context) {
        int step = Integer.remainderUnsigned(cursor.next(), schedule.length); // as RoundRobin's
        return Pickers.take(endpoints.get(schedule[step]));
    }

    /** The cycle length this picker repeats. */
    int cycleLength() {
        return schedule.length;
    }

    static int maxCycle(int size) {
        return (int) Math.max(size, Math.min(1 << 16, MAX_BUILD_STEPS / size));
    }

    private static int[] scaledWeights(EndpointSet endpoints) {
        int n = endpoints.size();
        int gcd = Pickers.gcd(endpoints);
        int[] weights = new int[n];
        long total = 0;
        for (int i = 0; i < n; i++) {
            weights[i] = endpoints.weight(i) / gcd;
            total += weights[i];
        }
        int maxCycle = maxCycle(n);
        if (total > maxCycle) {
            double scale = (double) maxCycle / total;
            for (int i = 0; i < n; i++) {
                weights[i] = Math.max(1, (int) (weights[i] * scale));
            }
        }
        return weights;
    }

    private static int[] buildSchedule(int[] weights) {
        int n = weights.length;
        int total = 0;
        for (int weight : weights) {
            total += weight;
        }
        int[] schedule = new int[total];
        long[] current = new long[n];
        for (int step = 0; step < total; step++) {
            int best = 0;
            for (int i = 0; i < n; i++) {
                current[i] += weights[i];
                if (current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= total;
            schedule[step] = best;
        }
        return schedule;
    }
}
