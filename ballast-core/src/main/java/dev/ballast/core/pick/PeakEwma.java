package dev.ballast.core.pick;

import dev.ballast.core.state.EndpointState;
import dev.ballast.core.time.Ticker;

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
    private final Ticker ticker;

    PeakEwma(EndpointSet endpoints, Rng rng, Ticker ticker) {
        this.endpoints = endpoints;
        this.rng = rng;
        this.ticker = ticker;
    }

    @Override
    public PickResult pick(PickContext context) {
        int n = endpoints.size();
        if (n == 1) {
            return Pickers.take(endpoints.get(0));
        }
        int a = rng.nextInt(n);
        int b = (a + 1 + rng.nextInt(n - 1)) % n;
        long now = ticker.nanos();
        double costA = cost(endpoints.get(a), endpoints.weight(a), now);
        double costB = cost(endpoints.get(b), endpoints.weight(b), now);
        return Pickers.take(costA <= costB ? endpoints.get(a) : endpoints.get(b));
    }

    private static double cost(EndpointState state, int weight, long now) {
        int active = state.active();
        double latency = state.latencyEwmaNanos(now);
        if (latency == 0 && active > 0) {
            return PENALTY + active;
        }
        return latency * (active + 1) / weight;
    }
}
