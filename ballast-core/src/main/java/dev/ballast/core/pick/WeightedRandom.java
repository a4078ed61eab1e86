package dev.ballast.core.pick;

/**
 * {@code weighted-random}: each endpoint with probability {@code weight / total}, in O(1) per pick
 * with Vose's alias method (Vose 1991, "A linear algorithm for generating random numbers with a
 * given distribution"): one uniform column and one biased coin.
 */
final class WeightedRandom implements Picker {

    private final EndpointSet endpoints;
    private final Rng rng;
    private final double[] probability;
    private final int[] alias;

    WeightedRandom(EndpointSet endpoints, Rng rng) {
        this.endpoints = endpoints;
        this.rng = rng;
        int n = endpoints.size();
        this.probability = new double[n];
        this.alias = new int[n];
        double[] scaled = new double[n];
        int[] small = new int[n];
        int[] large = new int[n];
        int smallCount = 0;
        int largeCount = 0;
        double total = endpoints.totalWeight();
        for (int i = 0; i < n; i++) {
            scaled[i] = (double) endpoints.weight(i) * n / total; // in double: weight x n overflows an int
            if (scaled[i] < 1.0) {
                small[smallCount++] = i;
            } else {
                large[largeCount++] = i;
            }
        }
        while (smallCount > 0 && largeCount > 0) {
            int less = small[--smallCount];
            int more = large[--largeCount];
            probability[less] = scaled[less];
            alias[less] = more;
            scaled[more] = scaled[more] + scaled[less] - 1.0;
            if (scaled[more] < 1.0) {
                small[smallCount++] = more;
            } else {
                large[largeCount++] = more;
            }
        }
        while (largeCount > 0) {
            probability[large[--largeCount]] = 1.0;
        }
        while (smallCount > 0) {
            probability[small[--smallCount]] = 1.0; // rounding leftovers
        }
    }

    @Override
    public PickResult pick(PickContext context) {
        int column = rng.nextInt(probability.length);
        int index = rng.nextDouble() < probability[column] ? column : alias[column];
        return Pickers.take(endpoints.get(index));
    }
}
