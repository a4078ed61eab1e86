package dev.ballast.core.pick;

/**
 * A position in {@code [0, period)} that advances by one per call, kept once per stripe of threads so
 * that threads picking at once do not all write one cache line: least-connections' rotating search
 * start, which breaks ties in turn and needs no exact turn across threads.
 *
 * <p>A thread uses stripe {@code threadId mod stripes}; a thread with a stripe to itself sees every
 * position once per {@code period} calls. Stripes start spread evenly over the period (from a random
 * base), so threads in step start their searches far apart.
 *
 * <p>Each stripe has {@value #STRIDE_BYTES} bytes of the array to itself: two cache lines, since
 * Intel's adjacent-line prefetcher pulls lines in pairs.
 */
final class StripedCursor {

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

    /**
     * This thread's stripe's position, then advances it with plain reads and writes: two threads on one
     * stripe may then repeat a position, so it suits callers that only need a rotating starting point
     * (least-connections' search start), not a turn that must stay exact across threads.
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
