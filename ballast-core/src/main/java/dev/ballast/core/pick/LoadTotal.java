package dev.ballast.core.pick;

import dev.ballast.core.internal.StripedCounter;
import dev.ballast.core.state.EndpointState;
import dev.ballast.core.state.LoadObserver;

/**
 * The requests in flight over one picker's endpoints, for bounded-load hashing's average. Kept by the
 * picker that needs it, from its endpoints' load notifications, rather than by every endpoint on
 * every pick and release: no other balancer pays for it.
 *
 * <p>Started from the endpoints' counts when the picker is built (at every membership, health or
 * weight change), then moved by each pick and release. Picks racing with that start can leave it
 * off by the few requests in progress at that instant until the next build; the bound tolerates
 * that, since its average moves by one with every request anyway, and the cap itself is enforced
 * per endpoint with an atomic check.
 */
final class LoadTotal implements LoadObserver {

    private final StripedCounter count = new StripedCounter();

    private LoadTotal() {
    }

    /** Binds a new total to every endpoint of {@code endpoints} and starts it from their counts. */
    static LoadTotal bind(EndpointSet endpoints) {
        LoadTotal total = new LoadTotal();
        long start = 0;
        for (int j = 0; j < endpoints.size(); j++) {
            EndpointState state = endpoints.get(j);
            state.bindLoadObserver(total, j);
            start += state.active();
        }
        total.count.add(start);
        return total;
    }

    @Override
    public void loadChanged(int slot, int active, int delta) {
        count.add(delta);
    }

    /** In flight now, never negative. */
    long sum() {
        return Math.max(0, count.sum());
    }
}
