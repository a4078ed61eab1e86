package dev.ballast.client.internal;

import dev.ballast.core.time.Scheduler;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * The attempts' timeouts: one thread that looks every {@code tick} for timeouts that are due, as
 * Netty's and Finagle's hashed-wheel timers do, trading a tick of precision for not waking a thread
 * per call. A {@code ScheduledThreadPoolExecutor} signals its thread whenever a new task becomes the
 * earliest, which at one call at a time is every call: a context switch that cost more than the
 * whole rest of the client's work.
 *
 * <p>Scheduling and cancelling are a concurrent-set add and remove. The thread parks for good after a
 * while without work; the next schedule wakes it.
 */
final class TimeoutSweeper implements Scheduler, AutoCloseable {

    private final long tickNanos;
    private final long idleNanos;
    private final Set<Pending> pending = ConcurrentHashMap.newKeySet();
    private final String threadName;
    private volatile Thread thread;
    /** A sweeping thread is alive; guarded by {@code this} once closed, when threads come and go. */
    private boolean running;
    private volatile boolean parked;
    private volatile boolean closed;

    /**
     * @param tickNanos how often due timeouts are looked for: a timeout fires up to this late
     * @param idleNanos after this long without timeouts the thread parks until the next one
     */
    TimeoutSweeper(long tickNanos, long idleNanos, String threadName) {
        this.tickNanos = tickNanos;
        this.idleNanos = idleNanos;
        this.threadName = threadName;
        startThread();
    }

    private synchronized void startThread() {
        running = true;
        thread = Thread.ofPlatform().name(threadName).daemon().unstarted(this::sweep);
        thread.start();
    }

    @Override
    public Cancellable schedule(Runnable task, long delayNanos) {
        Pending entry = new Pending(System.nanoTime() + delayNanos, task);
        pending.add(entry);
        if (closed) {
            keepSweeping();
        } else if (parked) {
            LockSupport.unpark(thread);
        }
        return () -> pending.remove(entry);
    }

    /**
     * After close, timeouts still fire: a caller's own HttpClient outlives this client, and so do the
     * deadlines of calls on it, including calls that start just after the close. A thread sweeps while
     * any is pending, and a new one starts for a timeout scheduled after the last one left.
     */
    private synchronized void keepSweeping() {
        if (running) {
            LockSupport.unpark(thread);
        } else {
            startThread();
        }
    }

    /** True when the thread may end: closed and nothing pending, decided under the lock {@link #keepSweeping} takes. */
    private synchronized boolean done() {
        if (closed && pending.isEmpty()) {
            running = false;
            return true;
        }
        return false;
    }

    private void sweep() {
        long lastWork = System.nanoTime();
        while (!done()) {
            long now = System.nanoTime();
            for (Pending entry : pending) {
                if (now - entry.dueNanos >= 0 && pending.remove(entry)) {
                    entry.task.run();
                }
            }
            if (!pending.isEmpty()) {
                lastWork = now;
            }
            if (pending.isEmpty() && now - lastWork > idleNanos) {
                parked = true;
                if (pending.isEmpty() && !closed) { // re-check: a schedule may have missed the flag
                    LockSupport.park(this);
                }
                parked = false;
                lastWork = System.nanoTime();
            } else {
                LockSupport.parkNanos(this, tickNanos);
            }
        }
    }

    /** Timeouts waiting (for tests and metrics). */
    int pending() {
        return pending.size();
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
    }

    private record Pending(long dueNanos, Runnable task) {
    }
}
