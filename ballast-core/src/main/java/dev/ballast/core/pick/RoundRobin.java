package dev.ballast.core.pick;

import dev.ballast.core.internal.PaddedTurn;

/** {@code round-robin}: every endpoint in turn, ignoring weights. One atomic increment per pick. */
final class RoundRobin implements Picker {

    private final EndpointSet endpoints;
    private final PaddedTurn cursor;

    RoundRobin(EndpointSet endpoints, Rng rng) {
        this.endpoints = endpoints;
        // A random start so that many proxies (or a reload) do not all hit the first endpoint at once.
        this.cursor = new PaddedTurn(rng.nextInt(Integer.MAX_VALUE));
    }

    @Override
    public PickResult pick(PickContext context) {
        // & MAX_VALUE keeps the index non-negative after the counter wraps past 2^31.
        int index = (cursor.next() & Integer.MAX_VALUE) % endpoints.size();
        return Pickers.take(endpoints.get(index));
    }
}
