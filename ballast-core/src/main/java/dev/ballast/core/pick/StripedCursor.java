package dev.ballast.core.pick;

import dev.ballast.core.internal.Stripes;

/**
 * A position in {@code [0, period)} that advances by one per call, kept once per stripe of threads so
 * that threads picking at once do not all write one cache line: least-connections' rotating search
 * start, which breaks ties in turn and needs no exact turn across threads.
 *
 * <p>A thread uses its {@link Stripes stripe}; a thread with a stripe to itself sees every
 * position once per {@code period} calls. Stripes start spread evenly over the period (from a random
 * base), so threads in step start their searches far apart.
 *
 * <p>Each stripe has {@link Stripes#STRIDE_BYTES} bytes of the array to itself.
 */
final class StripedCursor {

    private static final int STRIDE = Stripes.STRIDE_BYTES / Integer.BYTES;
    static final int STRIPES = Stripes.COUNT;

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
        return Stripes.of(thread);
    }

    private int slotOfCurrentThread() {
        return (Stripes.current() + 1) * STRIDE;
    }
}
