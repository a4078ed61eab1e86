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
 * <p><b>Arcs.</b> If every busy thread walked the whole period, each would keep reading the leaves and
 * endpoint counters that the others wrote a moment earlier, and on two cores those lines cross between
 * them on nearly every pick (least-connections at 1,000 endpoints: 60 ns a pick on one thread, 100 to
 * 220 on two; docs/benchmarks.md). So the stripes that are busy split the period into arcs, one each, in
 * proportion to how fast each picks, and each walks its own arc: every position still gets the same rate
 * of turns, and the threads keep to lines of their own.
 *
 * <p>A stripe is busy while it makes {@value #CHECK_EVERY} picks within a millisecond ({@link
 * #BUSY_NANOS}) by the ticker. It looks at the clock every {@value #CHECK_EVERY} of its picks and then
 * reads every stripe's published rate, the only reads of other stripes' lines, to take its arc; once a
 * millisecond has passed since it last measured its own rate, it measures it again. A lone busy
 * stripe, one in its first millisecond of being busy, and any that picks less often walk the whole
 * period. So does every stripe while the slowest busy stripe's arc would be under {@value #MIN_ARC}
 * positions: an arc ends on a whole position, and on a short arc that rounding would favour some
 * positions over others. Two threads' views of the rates may differ for a moment, and their arcs then
 * overlap or leave a gap until their next look; only which tied endpoint a pick starts from depends on
 * it, never which load is least.
 *
 * <p>A thread that shares its stripe with a busy one shares its arc too, until the stripe's next look.
 * Each stripe has {@link Stripes#STRIDE_BYTES} bytes of each array to itself. Reads and writes of a
 * stripe's own turn are plain: two threads on one stripe may repeat a position, which a search start
 * tolerates, and every value written stays in range whatever the races.
 */
final class StripedCursor {

    static final int STRIPES = Stripes.COUNT;
    /** A stripe's own picks between two looks at the clock. */
    static final int CHECK_EVERY = 256;
    /**
     * A stripe is busy while it looks more often than this: over 256,000 picks a second. That is far
     * more than a proxy's event loop makes, so arcs come into play where picking itself is the work, and
     * a thread that stalls (preempted by another process, say) loses its arc at the others' first look
     * a millisecond after its last, instead of leaving the arc without turns.
     */
    static final long BUSY_NANOS = 1_000_000L;
    /** The fewest positions an arc may have: below it, every stripe walks the whole period. */
    static final int MIN_ARC = 64;

    private static final int INTS = Stripes.STRIDE_BYTES / Integer.BYTES;
    private static final int LONGS = Stripes.STRIDE_BYTES / Long.BYTES;
    // A stripe's turn, in ints at (stripe + 1) x INTS (the first stride pads the array header).
    private static final int POSITION = 0;
    /** Where the stripe's arc starts, and where it ends (exclusive); equal when the arc is the whole period. */
    private static final int FROM = 1;
    private static final int TO = 2;
    private static final int UNTIL_CHECK = 3;
    // What a stripe tells the others, in longs at (stripe + 1) x LONGS, and its measuring window.
    private static final int CHECKED_AT = 0;
    /**
     * Picks per second, as published: 0 while not busy (and for a stripe's first window after it becomes
     * busy), else the smoothed rate, republished only when it has moved by more than a sixteenth. Rates
     * that flicker by a few percent would otherwise move the arcs' ends at every window, and a stripe
     * that reads another's rate in step with its flicker keeps a position or two between their arcs.
     */
    private static final int RATE = 1;
    private static final int SMOOTHED = 2;
    private static final int WINDOW_AT = 3;
    private static final int WINDOW_PICKS = 4;
    /**
     * How long a stripe counts its picks before it measures its rate again. 256 picks take under
     * 20 µs on a busy thread, and a rate measured over so little swings with every preemption; arcs that
     * swing send threads back to their arcs' starts, and positions near the ends then lose turns.
     */
    static final long WINDOW_NANOS = 1_000_000L;

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
            shared[(s + 1) * LONGS + WINDOW_AT] = never;
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

    /**
     * Measures this stripe's rate once a window is over, and takes its arc from every busy stripe's
     * published rate, at every look: a stripe that stalled loses its arc at the first look after it
     * went stale.
     */
    private void share(int stripe, int slot) {
        turns[slot + UNTIL_CHECK] = CHECK_EVERY;
        long now = ticker.nanos();
        int mine = (stripe + 1) * LONGS;
        long since = now - (long) SHARED.getOpaque(shared, mine + CHECKED_AT);
        SHARED.setOpaque(shared, mine + CHECKED_AT, now);
        // A clock that did not move (a test's, or a coarse one) tells nothing: not busy.
        if (since <= 0 || since >= BUSY_NANOS) {
            notBusy(mine, slot, now);
            return;
        }
        long picks = shared[mine + WINDOW_PICKS] + CHECK_EVERY;
        long window = now - shared[mine + WINDOW_AT];
        if (window >= WINDOW_NANOS) {
            long measured = picks * 1_000_000_000L / window;
            if (measured == 0) {
                notBusy(mine, slot, now); // the clock jumped
                return;
            }
            long smoothed = shared[mine + SMOOTHED] == 0 ? measured : (shared[mine + SMOOTHED] + measured) / 2;
            shared[mine + SMOOTHED] = smoothed;
            long published = (long) SHARED.getOpaque(shared, mine + RATE);
            if (Math.abs(smoothed - published) > published / 16) {
                SHARED.setOpaque(shared, mine + RATE, smoothed);
            }
            shared[mine + WINDOW_AT] = now;
            picks = 0;
        }
        shared[mine + WINDOW_PICKS] = picks;
        takeArc(stripe, slot, now);
    }

    private void notBusy(int mine, int slot, long now) {
        SHARED.setOpaque(shared, mine + RATE, 0L);
        shared[mine + SMOOTHED] = 0;
        shared[mine + WINDOW_AT] = now;
        shared[mine + WINDOW_PICKS] = 0;
        wholePeriod(slot);
    }

    /** This stripe's arc among the busy stripes', by their published rates; the whole period if it cannot split evenly. */
    private void takeArc(int stripe, int slot, long now) {
        long rate = (long) SHARED.getOpaque(shared, (stripe + 1) * LONGS + RATE);
        if (rate == 0) {
            wholePeriod(slot); // its first window: no rate yet
            return;
        }
        long before = 0;
        long total = rate;
        long least = rate;
        int busy = 1;
        for (int other = 0; other < STRIPES; other++) {
            int at = (other + 1) * LONGS;
            long theirs = (long) SHARED.getOpaque(shared, at + RATE);
            if (other == stripe || theirs == 0 || now - (long) SHARED.getOpaque(shared, at + CHECKED_AT) >= BUSY_NANOS) {
                continue;
            }
            total += theirs;
            least = Math.min(least, theirs);
            busy++;
            if (other < stripe) {
                before += theirs;
            }
        }
        // Alone, or an arc under MIN_ARC positions, which would end on a whole position too far from its share.
        if (busy == 1 || (double) period * least < (double) MIN_ARC * total) {
            wholePeriod(slot);
            return;
        }
        int start = (int) ((double) period * before / total);
        int end = before + rate == total ? period : Math.max(start + 1, (int) ((double) period * (before + rate) / total));
        int from = (int) ((base + (long) start) % period);
        int length = Math.min(end - start, period);
        turns[slot + FROM] = from;
        turns[slot + TO] = (int) ((from + (long) length) % period);
        int position = turns[slot + POSITION];
        if (Math.floorMod(position - from, period) >= length) {
            turns[slot + POSITION] = from; // outside the new arc: start it over; inside, carry on in turn
        }
    }

    /** The whole period for this stripe, from wherever it is. */
    private void wholePeriod(int slot) {
        turns[slot + FROM] = 0;
        turns[slot + TO] = 0;
    }

    /** The stripe {@code thread} uses. */
    static int stripeOf(Thread thread) {
        return Stripes.of(thread);
    }
}
