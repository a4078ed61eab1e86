package dev.ballast.core.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A turn that every thread takes from, alone on its cache lines: the shared counter of the
 * round-robin balancers. An {@link java.util.concurrent.atomic.AtomicInteger} created with its
 * picker lands next to the picker's own fields, which every pick reads; then each increment on one
 * core also evicts those fields from the other core, and a pick on two threads waits for two lines
 * instead of one (docs/benchmarks.md). The count sits in the middle of an array with
 * {@link Stripes#STRIDE_BYTES} of nothing on either side.
 */
public final class PaddedTurn {

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(int[].class);
    private static final int INDEX = Stripes.STRIDE_BYTES / Integer.BYTES;

    private final int[] slots = new int[2 * INDEX + 1];

    /** Starts at {@code first}: the first {@link #next()} returns it. */
    public PaddedTurn(int first) {
        slots[INDEX] = first; // published with the object: slots is final
    }

    /** This caller's turn: each value once, in order, whatever the thread; wraps past Integer.MAX_VALUE. */
    public int next() {
        return (int) SLOT.getAndAdd(slots, INDEX, 1);
    }

    /** The first of {@code count} consecutive turns, all this caller's: one increment for a block of turns. */
    public int next(int count) {
        return (int) SLOT.getAndAdd(slots, INDEX, count);
    }
}
