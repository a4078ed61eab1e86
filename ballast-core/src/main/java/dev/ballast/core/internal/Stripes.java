package dev.ballast.core.internal;

/**
 * Which stripe of a per-thread-striped structure the current thread uses, so that threads updating
 * at once write different cache lines. A stripe is {@code threadId mod COUNT}: thread ids of one pool
 * (event loops, a benchmark's workers) are usually consecutive, so its threads get stripes of their
 * own, and four stripes per core leave slack for other threads' ids.
 */
public final class Stripes {

    /** Four per core, a power of two, at most 64. */
    public static final int COUNT = Math.min(64, Integer.highestOneBit(4 * Runtime.getRuntime().availableProcessors() - 1) << 1);

    /** Bytes each stripe keeps to itself: two cache lines, since Intel's adjacent-line prefetcher pulls lines in pairs. */
    public static final int STRIDE_BYTES = 128;

    private Stripes() {
    }

    /** The stripe {@code thread} uses, in {@code [0, COUNT)}. */
    public static int of(Thread thread) {
        return (int) thread.threadId() & (COUNT - 1);
    }

    /** The stripe of the calling thread. */
    public static int current() {
        return of(Thread.currentThread());
    }
}
