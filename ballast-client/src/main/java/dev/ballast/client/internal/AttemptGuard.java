package dev.ballast.client.internal;

import dev.ballast.client.CallException.Kind;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stops one attempt that blocks in {@code HttpClient.send} on the calling thread: its timer (the
 * per-try timeout or the deadline) or its context's cancellation interrupts that thread, and
 * {@code send} then aborts the exchange (closing the connection) and throws.
 *
 * <p>Why not {@code sendAsync} and a timed wait: its future completes on another thread of the
 * client's executor, one more thread hand-off per call (about 20 µs at 1,000 calls/s here, the
 * whole overhead budget); {@code send} completes on the thread that reads the response.
 *
 * <p>The interrupt must never outlive the attempt: the state goes RUNNING to INTERRUPTING to
 * INTERRUPTED around {@code interrupt()}, and {@link #finish()} waits out INTERRUPTING and clears a
 * flag that {@code send} did not consume (the hand-shake of {@code FutureTask.cancel}).
 */
final class AttemptGuard {

    private static final int RUNNING = 0;
    private static final int DONE = 1;
    private static final int INTERRUPTING = 2;
    private static final int INTERRUPTED = 3;

    private final Thread thread;
    private final AtomicInteger state = new AtomicInteger(RUNNING);
    private volatile Kind reason;

    AttemptGuard(Thread thread) {
        this.thread = thread;
    }

    /** Stops the attempt for {@code why}, unless it is over or already stopped. Any thread. */
    void stop(Kind why) {
        if (state.compareAndSet(RUNNING, INTERRUPTING)) {
            reason = why;
            thread.interrupt();
            state.set(INTERRUPTED);
        }
    }

    /**
     * Ends the guard on the attempt's thread. Returns why the guard stopped the attempt, or null if it
     * did not (then an interrupt the thread saw came from elsewhere).
     */
    Kind finish() {
        if (state.compareAndSet(RUNNING, DONE)) {
            return null;
        }
        while (state.get() == INTERRUPTING) {
            Thread.onSpinWait(); // interrupt() is on its way: wait, so it cannot land after we return
        }
        Thread.interrupted(); // consumed by send() already, or pending: either way it was ours
        return reason;
    }
}
