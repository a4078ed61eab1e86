package dev.ballast.core.pick;

/**
 * {@code round-robin}: every endpoint in turn, ignoring weights. The turn is kept per stripe of
 * threads ({@link StripedCursor}): each event loop walks all endpoints in turn, so together they
 * spread requests evenly without writing one shared cursor per pick.
 */
final class RoundRobin implements Picker {

    private final EndpointSet endpoints;
    private final StripedCursor cursor;

    RoundRobin(EndpointSet endpoints, Rng rng) {
        this.endpoints = endpoints;
        // A random start so that many proxies (or a reload) do not all hit the first endpoint at once.
        this.cursor = new StripedCursor(endpoints.size(), rng);
    }

    @Override
    public PickResult pick(PickContext context) {
        return Pickers.take(endpoints.get(cursor.next()));
    }
}
