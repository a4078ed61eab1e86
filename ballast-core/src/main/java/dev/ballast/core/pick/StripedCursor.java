package dev.ballast.core.pick;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A position in {@code [0, period)} that advances by one per call, kept once per stripe of threads so
 * that threads picking at once do not all write one cache line.
 *
 * <p>A thread uses stripe {@code threadId mod stripes}. Each stripe walks the whole period in turn, so
 * a thread with a stripe to itself sees every position exactly once per {@code period} calls; threads
 * that share a stripe share its turn. Over any window every stripe is within one call of whole cycles,
 * so position counts differ by at most the number of stripes in use. Stripes start spread evenly over
 * the period (from a random base), so threads in step do not land on the same endpoint at once.
 *
 * <p>Each stripe has {@value #STRIDE_BYTES} bytes of the array to itself: two cache lines, since
 * Intel's adjacent-line prefetcher pulls lines in pairs.
 */
final class StripedCursor {

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(int[].class);
    private static final int STRIDE_BYTES = 128;
    private static final int STRIDE = STRIDE_BYTES / Integer.BYTES;
    /**
     * Four stripes per core (power of two, at most 64): thread ids of one pool are usually consecutive,
     * so its threads get stripes of their own; the slack keeps other threads' ids from colliding.
     */
    static final int STRIPES = Math.min(64, Integer.highestOneBit(4 * Runtime.getRuntime().availableProcessors() - 1) << 1);

    private final int period;
    /** Stripe s at index (s + 1) x STRIDE: the first stride pads the array header. */
    private final int[] slots;

    StripedCursor(int period, Rng rng) {
        if (period < 1) {
            throw new IllegalArgumentException("period: " + period + " (expected: >= 1)");
        }
        this.period = period;
        this.slots = new int[(STRIPES + 1) * STRIDE];
        int base = rng.nextInt(period);
        for (int s = 0; s < STRIPES; s++) {
            slots[(s + 1) * STRIDE] = (int) ((base + (long) s * period / STRIPES) % period);
        }
    }

    /** This thread's stripe's position, then advances it: atomic, so a shared stripe still goes in turn. */
    int next() {
        int slot = slotOfCurrentThread();
        int at;
        do {
            at = (int) SLOT.getOpaque(slots, slot);
        } while (!SLOT.weakCompareAndSetPlain(slots, slot, at, at + 1 < period ? at + 1 : 0));
        return at;
    }

    /**
     * This thread's stripe's position, then advances it with plain reads and writes: two threads on one
     * stripe may then repeat a position. For callers that only need a rotating starting point.
     */
    int nextRelaxed() {
        int slot = slotOfCurrentThread();
        int at = slots[slot];
        slots[slot] = at + 1 < period ? at + 1 : 0; // below period whatever the races
        return at;
    }

    /** The stripe {@code thread} uses. */
    static int stripeOf(Thread thread) {
        return (int) thread.threadId() & (STRIPES - 1);
    }

    private int slotOfCurrentThread() {
        return (stripeOf(Thread.currentThread()) + 1) * STRIDE;
    }
}
