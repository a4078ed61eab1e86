package dev.ballast.core.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A count that many threads change at once and few read: each thread adds to its own stripe (a
 * padded slot of one array), and a read sums the stripes. Like {@link java.util.concurrent.atomic.LongAdder},
 * but a thread's slot is fixed by its id rather than found by probing and rehashing after collisions,
 * which on the pick path cost tens of nanoseconds per update with two threads (measured in
 * docs/benchmarks.md).
 *
 * <p>A stripe's own value means nothing (a request counted up on one thread may be counted down on
 * another); only the sum does. The sum is not an atomic snapshot while updates race with it.
 */
public final class StripedCounter {

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int STRIDE = Stripes.STRIDE_BYTES / Long.BYTES;

    /** Stripe s at index (s + 1) x STRIDE: the first stride pads the array header. */
    private final long[] slots = new long[(Stripes.COUNT + 1) * STRIDE];

    public void add(long delta) {
        SLOT.getAndAdd(slots, (Stripes.current() + 1) * STRIDE, delta);
    }

    public long sum() {
        long sum = 0;
        for (int stripe = 1; stripe <= Stripes.COUNT; stripe++) {
            sum += (long) SLOT.getVolatile(slots, stripe * STRIDE);
        }
        return sum;
    }
}
