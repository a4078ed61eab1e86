package dev.ballast.core.pick;

import dev.ballast.core.state.EndpointState;

/**
 * {@code least-request}: the power of two random choices (Mitzenmacher 2001, "The Power of Two
 * Choices in Randomized Load Balancing"). Two distinct endpoints at random; the one with fewer
 * in-flight requests per unit of weight wins. Nearly as good as a global least-loaded pick, with no
 * shared structure, and it avoids the herding of many proxies on the one least-loaded endpoint.
 */
final class LeastRequest implements Picker {

    private final EndpointSet endpoints;
    private final Rng rng;

    LeastRequest(EndpointSet endpoints, Rng rng) {
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
        // (active_a + 1) / w_a <= (active_b + 1) / w_b, cross-multiplied to stay in integers.
        long costA = (long) (first.active() + 1) * endpoints.weight(b);
        long costB = (long) (second.active() + 1) * endpoints.weight(a);
        return Pickers.take(costA <= costB ? first : second);
    }
}
