package dev.ballast.core.pick;

import dev.ballast.core.time.Ticker;

/**
 * {@code round-robin}: every endpoint in turn, ignoring weights. One atomic increment of a turn shared
 * by every thread per pick; threads that pick nonstop take their turns in blocks ({@link BatchedTurn}).
 */
final class RoundRobin implements Picker {

    private final EndpointSet endpoints;
    private final BatchedTurn cursor;

    RoundRobin(EndpointSet endpoints, Rng rng, Ticker ticker) {
        this.endpoints = endpoints;
        // A random start so that many proxies (or a reload) do not all hit the first endpoint at once.
        this.cursor = new BatchedTurn(rng.nextInt(Integer.MAX_VALUE), ticker);
    }

    @Override
    public PickResult pick(PickContext context) {
        // Unsigned: the turn runs on past 2^31 without a jump; one comes only as it wraps at 2^32.
        int index = Integer.remainderUnsigned(cursor.next(), endpoints.size());
        return Pickers.take(endpoints.get(index));
    }
}
