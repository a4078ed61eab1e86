package dev.ballast.core.pick;

import dev.ballast.core.internal.PaddedTurn;
import dev.ballast.core.internal.Stripes;
import dev.ballast.core.time.Ticker;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The round-robin balancers' turn, shared by every thread: each value goes to one pick at most, and
 * while threads pick at a proxy's rates they take the values one at a time, in order across all
 * threads, so two requests at once go to two endpoints and shares are exact over every cycle.
 *
 * <p><b>Blocks.</b> Threads that pick as fast as they can, where picking itself is the work, would
 * take the shared counter's cache line from each other's cores on nearly every pick (round-robin at
 * 1,000 endpoints: 16 ns a pick on one thread, 176 on two; docs/benchmarks.md). So a stripe of threads
 * that is busy takes {@value #BLOCK} consecutive values with one increment and hands them out one by
 * one before it takes the next block, as a JVM thread allocates from a buffer of its own. A busy
 * thread's own picks are still in turn; what changes is how two busy threads' picks interleave, a
 * block at a time.
 *
 * <p>A stripe is busy by the rule of least-connections' {@link StripedCursor}: it looks at the clock
 * every {@value #CHECK_EVERY} of its picks, and is busy while its looks come less than {@link
 * #BUSY_NANOS} apart; before it takes a block it also checks that its last look is that recent, so a
 * stripe that slowed down goes back to single values at its next block. What is left of its block it
 * still hands out first (fewer than {@value #BLOCK} values, in their order, after the stripe slowed
 * down), so that no value is skipped. One thread of a stripe takes a block at a time; the stripe's
 * others take single values meanwhile. Values are lost only with the rest of a block whose threads
 * stop picking: shares over many cycles are exact to within {@value #BLOCK} picks per stripe.
 *
 * <p>The stripe's block is swapped by CAS, so no value is handed out twice. Its clock fields and count
 * of picks are plain: two threads of one stripe may race on them, which only moves a look.
 */
final class BatchedTurn {

    /** The values a busy stripe takes with one increment of the shared counter. */
    static final int BLOCK = 64;
    /** A stripe's own picks between two looks at the clock (as {@link StripedCursor#CHECK_EVERY}). */
    static final int CHECK_EVERY = 256;
    /** A stripe is busy while its looks come closer than this (as {@link StripedCursor#BUSY_NANOS}). */
    static final long BUSY_NANOS = 1_000_000L;

    private static final int LONGS = Stripes.STRIDE_BYTES / Long.BYTES;
    // A stripe's fields, in longs at (stripe + 1) x LONGS (the first stride pads the array header).
    /**
     * The stripe's block: its next value in the high 32 bits, the values left in the low; swapped by
     * CAS. {@link #TAKING} left means a thread of the stripe is taking a new block.
     */
    private static final int HELD = 0;
    private static final int UNTIL_CHECK = 1;
    private static final int CHECKED_AT = 2;
    /** 1 while the stripe's last look found it busy, else 0. */
    private static final int BUSY = 3;

    private static final long TAKING = 0xFFFF_FFFFL;

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
        while (true) {
            int left = (int) held;
            if (left > 0) {
                // The next value and one fewer left: left >= 1, so the low half never borrows from the high.
                if (STRIPE.compareAndSet(own, at + HELD, held, held + (1L << 32) - 1)) {
                    return (int) (held >>> 32);
                }
            } else if (left < 0 || !stillBusy(at)) {
                return shared.next(); // another thread of the stripe is taking a block, or no blocks now
            } else if (STRIPE.compareAndSet(own, at + HELD, held, held | TAKING)) {
                break;
            }
            held = own[at + HELD]; // another thread of the stripe moved it first
        }
        int first = shared.next(BLOCK);
        STRIPE.setRelease(own, at + HELD, (long) (first + 1) << 32 | (BLOCK - 1));
        return first;
    }

    /** Looks at the clock: the stripe is busy if its last look was less than {@link #BUSY_NANOS} ago, on a clock that moved. */
    private void look(int at) {
        long[] own = stripes;
        own[at + UNTIL_CHECK] = CHECK_EVERY;
        long now = ticker.nanos();
        long since = now - own[at + CHECKED_AT];
        own[at + CHECKED_AT] = now;
        own[at + BUSY] = since > 0 && since < BUSY_NANOS ? 1 : 0;
    }

    /** Busy at the last look, and that look recent: a stripe that slowed down since takes no more blocks. */
    private boolean stillBusy(int at) {
        return stripes[at + BUSY] != 0 && ticker.nanos() - stripes[at + CHECKED_AT] < BUSY_NANOS;
    }
}
