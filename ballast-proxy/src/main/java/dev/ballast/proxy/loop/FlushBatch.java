package dev.ballast.proxy.loop;

import io.netty.util.concurrent.FastThreadLocal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The flushes an event loop holds while it handles one pass of ready sockets, done together when the
 * pass ends, or sooner when {@link #MOST_HELD} connections wait and another flushes.
 *
 * <p>Why: a proxy writes on one connection because of a read on another: the request read from the
 * client goes to an upstream, the response read from the upstream goes to the client. Flushed one by
 * one as each is handled, every write is a wake-up of a peer that then finds one message, handles it
 * and sleeps again. Flushed at the end of the pass, the peers wake to find the whole pass's messages
 * at once, and a connection written twice while held is flushed once. Measured in
 * docs/benchmarks.md ("Eighteenth session: flushes held to the end of a pass").
 *
 * <p>Each loop thread has its own batch ({@link #current()}). A flush made while no batch is open
 * goes out at once: in a task the loop runs between passes, on a loop without batches, on any other
 * thread. Not thread-safe: used by its own thread only.
 */
final class FlushBatch {

    private static final Logger log = LoggerFactory.getLogger(FlushBatch.class);

    private static final FastThreadLocal<FlushBatch> CURRENT = new FastThreadLocal<>() {
        @Override
        protected FlushBatch initialValue() {
            return new FlushBatch();
        }
    };

    /**
     * The most connections a batch holds: when a ninth flushes, the eight go out and it is held in
     * their place. Enough for the peers to find several messages when they wake, few enough that the
     * first responses of a long pass do not wait for its end. 8 measured a little better than 16, and
     * 64 lost most of the gain (docs/benchmarks.md).
     */
    static final int MOST_HELD = 8;

    private boolean open;
    /** True while held flushes are being done: a flush made meanwhile goes out at once. */
    private boolean flushing;
    private final BatchedFlushHandler[] held = new BatchedFlushHandler[MOST_HELD];
    private int size;

    FlushBatch() {
    }

    /** The calling thread's batch. */
    static FlushBatch current() {
        return CURRENT.get();
    }

    /** A pass begins: flushes are held from now on. */
    void open() {
        open = true;
    }

    /**
     * The pass is over: every held flush is done now, in the order they came. Flushes made while
     * these run (a listener writing on another connection) go out at once.
     */
    void close() {
        open = false;
        flushHeld();
    }

    /**
     * Holds {@code handler}'s flush until the pass ends, or until more connections than the batch
     * holds have flushed: a long pass does not keep its first responses waiting to its end.
     * False when no pass is under way.
     */
    boolean hold(BatchedFlushHandler handler) {
        if (!open || flushing) {
            return false;
        }
        if (size == held.length) {
            flushHeld();
        }
        held[size++] = handler;
        return true;
    }

    private void flushHeld() {
        flushing = true;
        try {
            for (int i = 0; i < size; i++) {
                BatchedFlushHandler handler = held[i];
                held[i] = null;
                try {
                    handler.flushHeld();
                } catch (RuntimeException e) {
                    // Netty reports a failed flush to the pipeline and does not throw; should one throw
                    // all the same, the connections after it in the batch are still flushed.
                    log.warn("a held flush failed", e);
                }
            }
        } finally {
            size = 0;
            flushing = false;
        }
    }
}
