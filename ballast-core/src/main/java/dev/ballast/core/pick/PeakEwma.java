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
        int sampledA = first.latencySampleMillis();
        int sampledB = second.latencySampleMillis();
        int at;
        if (!first.hasLatencySample()) {
            at = sampledB;
        } else {
            at = !second.hasLatencySample() || sampledA - sampledB >= 0 ? sampledA : sampledB;
        }
        double costA = cost(first, endpoints.weight(a), at);
        double costB = cost(second, endpoints.weight(b), at);
        return Pickers.take(costA <= costB ? first : second);
    }

    private static double cost(EndpointState state, int weight, int atMillis) {
        int active = state.active();
        double latency = state.latencyEwmaNanosAt(atMillis);
        if (latency == 0 && active > 0) {
            return PENALTY + active;
        }
        return latency * (active + 1) / weight;
    }
}
