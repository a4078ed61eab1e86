package dev.ballast.core.pick;

import dev.ballast.core.internal.Stripes;
import dev.ballast.core.time.Ticker;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A position in {@code [0, period)} that advances by one per call, kept once per stripe of threads:
 * least-connections' rotating search start, which breaks ties in turn and needs no exact turn across
 * threads.
 *
 * <p><b>Shares.</b> If every busy thread walked the whole period, each would keep reading the leaves and
 * endpoint counters that the others wrote a moment earlier, and on two cores those lines cross between
 * them on nearly every pick (least-connections at 1,000 endpoints: 60 ns a pick on one thread, 100 to
 * 220 on two; docs/benchmarks.md). So the stripes that are busy split the period into arcs, one each, in
 * proportion to how fast each picks, and each walks its own arc: every position still gets the same rate
 * of turns, and the threads keep to lines of their own. A stripe is busy when it made {@value
 * #CHECK_EVERY} picks within {@value #BUSY_MILLIS} ms; a thread that picks less often walks the whole
 * period, and so does a lone busy one. Each stripe looks again every {@value #CHECK_EVERY} of its
 * picks, reading every stripe's last rate once: the only reads of other stripes' lines. Two threads'
 * views of the rates may differ for a moment, and their arcs then overlap or leave a gap until the next
 * look; only which tied endpoint a pick starts from depends on it, never which load is least.
 *
 * <p>Each stripe has {@link Stripes#STRIDE_BYTES} bytes of each array to itself. Reads and writes of a
 * stripe's own turn are plain: two threads on one stripe may repeat a position, which a search start
 * tolerates, and every value written stays in range whatever the races.
 */
final class StripedCursor {

    static final int STRIPES = Stripes.COUNT;
    /** A stripe's own picks between two looks at the others. */
    static final int CHECK_EVERY = 256;
    static final int BUSY_MILLIS = 10;
    private static final long BUSY_NANOS = BUSY_MILLIS * 1_000_000L;

    private static final int INTS = Stripes.STRIDE_BYTES / Integer.BYTES;
    private static final int LONGS = Stripes.STRIDE_BYTES / Long.BYTES;
    // A stripe's turn, in ints at (stripe + 1) x INTS (the first stride pads the array header).
    private static final int POSITION = 0;
    /** Where the stripe's arc starts, and where it ends (exclusive); equal when the arc is the whole period. */
    private static final int FROM = 1;
    private static final int TO = 2;
    private static final int UNTIL_CHECK = 3;
    // What a stripe tells the others, in longs at (stripe + 1) x LONGS.
    private static final int CHECKED_AT = 0;
    /** Picks per second between its last two looks; 0 when not busy. */
    private static final int RATE = 1;

    private static final VarHandle SHARED = MethodHandles.arrayElementVarHandle(long[].class);

    private final int period;
    private final int base;
    private final Ticker ticker;
    private final int[] turns;
    private final long[] shared;

    StripedCursor(int period, Rng rng, Ticker ticker) {
        if (period < 1) {
            throw new IllegalArgumentException("period: " + period + " (expected: >= 1)");
        }
        this.period = period;
        this.ticker = ticker;
        this.turns = new int[(STRIPES + 1) * INTS];
        this.shared = new long[(STRIPES + 1) * LONGS];
        // A random base, so that many proxies (or a reload) do not all start from the first endpoint.
        this.base = rng.nextInt(period);
        long never = ticker.nanos() - 2 * BUSY_NANOS;
        for (int s = 0; s < STRIPES; s++) {
            // Stripes start spread over the period, so threads in step start their searches far apart.
            int at = (s + 1) * INTS;
            turns[at + POSITION] = (int) ((base + (long) s * period / STRIPES) % period);
            turns[at + UNTIL_CHECK] = CHECK_EVERY;
            shared[(s + 1) * LONGS + CHECKED_AT] = never;
        }
    }

    /**
     * This thread's stripe's position, then advances it within the stripe's arc, with plain reads and
     * writes (see the class comment).
     */
    int nextRelaxed() {
        int stripe = Stripes.current();
        int slot = (stripe + 1) * INTS;
        int[] own = turns;
        if (--own[slot + UNTIL_CHECK] <= 0) {
            share(stripe, slot);
        }
        int at = own[slot + POSITION];
        int next = at + 1 < period ? at + 1 : 0;
        own[slot + POSITION] = next == own[slot + TO] ? own[slot + FROM] : next;
        return at;
    }

    /** Publishes this stripe's rate and takes its arc from every busy stripe's. */
    private void share(int stripe, int slot) {
        long now = ticker.nanos();
        int mine = (stripe + 1) * LONGS;
        long elapsed = Math.max(1, now - (long) SHARED.getOpaque(shared, mine + CHECKED_AT));
        long rate = elapsed < BUSY_NANOS ? CHECK_EVERY * 1_000_000_000L / elapsed : 0;
        SHARED.setOpaque(shared, mine + RATE, rate);
        SHARED.setOpaque(shared, mine + CHECKED_AT, now);
        turns[slot + UNTIL_CHECK] = CHECK_EVERY;

        long before = 0;
        long total = rate;
        if (rate > 0) {
            for (int other = 0; other < STRIPES; other++) {
                int at = (other + 1) * LONGS;
                long theirs = (long) SHARED.getOpaque(shared, at + RATE);
                if (other == stripe || theirs == 0 || now - (long) SHARED.getOpaque(shared, at + CHECKED_AT) >= BUSY_NANOS) {
                    continue;
                }
                total += theirs;
                if (other < stripe) {
                    before += theirs;
                }
            }
        }
        if (total == rate) {
            // Alone or not busy: the whole period, whatever arc it had.
            turns[slot + FROM] = 0;
            turns[slot + TO] = 0;
            return;
        }
        int start = (int) ((double) period * before / total);
        int end = Math.max(start + 1, (int) ((double) period * (before + rate) / total));
        int from = (int) ((base + (long) start) % period);
        int length = Math.min(end - start, period);
        turns[slot + FROM] = from;
        turns[slot + TO] = (int) ((from + (long) length) % period);
        int position = turns[slot + POSITION];
        if (Math.floorMod(position - from, period) >= length) {
            turns[slot + POSITION] = from; // outside the new arc: start it over; inside, carry on in turn
        }
    }

    /** The stripe {@code thread} uses. */
    static int stripeOf(Thread thread) {
        return Stripes.of(thread);
    }
}
