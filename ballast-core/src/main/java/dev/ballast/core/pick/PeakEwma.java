package dev.ballast.core.pick;

import dev.ballast.core.state.EndpointState;

/**
 * {@code peak-ewma}: latency-aware power of two choices, as Finagle's and Linkerd's balancers do.
 * The cost of an endpoint is its peak-sensitive latency EWMA times {@code (in-flight + 1)}, divided
 * by its weight; of two random endpoints the cheaper wins. The EWMA decays with time, so a slow
 * endpoint that stops getting traffic is probed again.
 *
 * <p>An endpoint with no latency sample yet costs nothing while idle, so new endpoints get probed,
 * and a large penalty while its first request is still out, so they are not flooded before the
 * first answer (Finagle's {@code PeakEwma} does the same).
 */
final class PeakEwma implements Picker {

    private static final double PENALTY = (double) (Long.MAX_VALUE >> 16);

    private final EndpointSet endpoints;
    private final Rng rng;

    PeakEwma(EndpointSet endpoints, Rng rng) {
        this.endpoints = endpoints;
        this.rng = rng;
    }

    @Override
    public PickResult pick(PickContext context) {
        int n = endpoints.size();
        if (n == 1) {
            return Pickers.take(endpoints.get(0));
        }
        int a = rng.nextInt(n);
        int b = a + 1 + rng.nextInt(n - 1); // another one, uniformly: a + 1 .. a + n - 1, wrapped
        if (b >= n) {
            b -= n;
        }
        EndpointState first = endpoints.get(a);
        EndpointState second = endpoints.get(b);
        // Both estimates decay at the same rate, so ranking them at the later of their two sample times
        // ranks them as now would, without reading the clock (which costs more than the rest of a pick).
        long sampledA = first.latencySampleMillis();
        long sampledB = second.latencySampleMillis();
        long at;
        if (!first.hasLatencySample()) {
            at = sampledB;
        } else {
            at = !second.hasLatencySample() || EndpointState.millisBetween(sampledB, sampledA) >= 0 ? sampledA : sampledB;
        }
        int weightA = endpoints.weight(a);
        int weightB = endpoints.weight(b);
        int activeA = first.active();
        int activeB = second.active();
        double latencyA = first.latencyEwmaNanosAt(at);
        double latencyB = second.latencyEwmaNanosAt(at);
        boolean firstWins;
        if (latencyA == 0 && activeA > 0 || latencyB == 0 && activeB > 0) {
            firstWins = cost(latencyA, activeA, weightA) <= cost(latencyB, activeB, weightB);
        } else {
            // The same comparison cross-multiplied: two divisions cost more than the rest of the ranking.
            firstWins = latencyA * (activeA + 1) * weightB <= latencyB * (activeB + 1) * weightA;
        }
        return Pickers.take(firstWins ? first : second);
    }

    private static double cost(double latency, int active, int weight) {
        if (latency == 0 && active > 0) {
            return PENALTY + active;
        }
        return latency * (active + 1) / weight;
    }
}
