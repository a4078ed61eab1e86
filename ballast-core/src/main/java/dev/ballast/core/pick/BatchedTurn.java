package dev.ballast.core.pick;

import dev.ballast.core.internal.PaddedTurn;
import dev.ballast.core.internal.Stripes;
import dev.ballast.core.time.Ticker;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The round-robin balancers' turn, shared by every thread: each value goes to one pick only, and
 * while threads pick at a proxy's rates they take the values one at a time, in order across all
 * threads, so two requests at once go to two endpoints and shares are exact over every cycle.
 *
 * <p><b>Blocks.</b> A thread that picks as fast as it can, where picking itself is the work, would
 * take the shared counter's cache line from the other cores on nearly every pick (round-robin at
 * 1,000 endpoints: 16 ns a pick on one thread, 176 on two; docs/benchmarks.md). So a stripe of threads
 * that is busy, by the same rule as least-connections' {@link StripedCursor} ({@value #CHECK_EVERY}
 * picks within a millisecond), takes {@value #BLOCK} consecutive values with one increment and hands
 * them out one by one before it takes the next block, as a JVM thread allocates from a buffer of its
 * own. Every value is still handed out once, and a busy thread's own picks are still in turn; what
 * changes is only how two busy threads' picks interleave, a block at a time.
 *
 * <p>A stripe hands out what is left of its block before anything else, also after it stops being
 * busy, so no value is skipped. Values are lost only when two threads of one stripe both find its
 * block empty at once: both take a block, and the rest of one is dropped. A thread's remaining
 * block is a handful of values in a cycle of thousands; shares over many cycles stay exact to within
 * {@value #BLOCK} picks per stripe.
 */
final class BatchedTurn {

    /** The values a busy stripe takes with one increment of the shared counter. */
    static final int BLOCK = 64;
    /** A stripe's own picks between two looks at the clock. */
    static final int CHECK_EVERY = StripedCursor.CHECK_EVERY;
    /** A stripe is busy while it looks at the clock more often than this (see {@link StripedCursor#BUSY_NANOS}). */
    static final long BUSY_NANOS = StripedCursor.BUSY_NANOS;

    private static final int LONGS = Stripes.STRIDE_BYTES / Long.BYTES;
    // A stripe's fields, in longs at (stripe + 1) x LONGS (the first stride pads the array header).
    /** The next value of the stripe's block in the high 32 bits, the values left in it in the low; swapped by CAS. */
    private static final int HELD = 0;
    private static final int UNTIL_CHECK = 1;
    private static final int CHECKED_AT = 2;
    /** 1 while the stripe is busy, else 0. */
    private static final int BUSY = 3;

    private static final VarHandle STRIPE = MethodHandles.arrayElementVarHandle(long[].class);

    private final PaddedTurn shared;
    private final Ticker ticker;
    private final long[] stripes;

    /** Starts at {@code first}: the first value handed out. */
    BatchedTurn(int first, Ticker ticker) {
        this.shared = new PaddedTurn(first);
        this.ticker = ticker;
        this.stripes = new long[(Stripes.COUNT + 1) * LONGS];
        long never = ticker.nanos() - 2 * BUSY_NANOS;
        for (int s = 0; s < Stripes.COUNT; s++) {
            stripes[(s + 1) * LONGS + UNTIL_CHECK] = CHECK_EVERY;
            stripes[(s + 1) * LONGS + CHECKED_AT] = never;
        }
    }

    /** The caller's turn: a value no other call gets; wraps past Integer.MAX_VALUE. */
    int next() {
        int at = (Stripes.current() + 1) * LONGS;
        long[] own = stripes;
        if (--own[at + UNTIL_CHECK] <= 0) {
            look(at);
        }
        long held = own[at + HELD];
        // The next value and one fewer left: left >= 1, so the low half never borrows from the high.
        if ((int) held != 0 && STRIPE.compareAndSet(own, at + HELD, held, held + (1L << 32) - 1)) {
            return (int) (held >>> 32);
        }
        if (own[at + BUSY] == 0) {
            return shared.next();
        }
        int first = shared.next(BLOCK);
        // Fails only if another thread of this stripe changed the block meanwhile: the rest of ours is dropped.
        STRIPE.compareAndSet(own, at + HELD, held, (long) (first + 1) << 32 | (BLOCK - 1));
        return first;
    }

    /** Whether the stripe is busy: its last look less than {@link #BUSY_NANOS} ago, on a clock that moved. */
    private void look(int at) {
        long[] own = stripes;
        own[at + UNTIL_CHECK] = CHECK_EVERY;
        long now = ticker.nanos();
        long since = now - own[at + CHECKED_AT];
        own[at + CHECKED_AT] = now;
        own[at + BUSY] = since > 0 && since < BUSY_NANOS ? 1 : 0;
    }
}
