package dev.ballast.core.testing;

import dev.ballast.core.time.Scheduler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A scheduler on a {@link FakeTicker}: tasks run, in time order, only when the test advances time
 * with {@link #advance}. Deterministic; no threads.
 */
public final class FakeScheduler implements Scheduler {

    private final FakeTicker ticker;
    private final List<Task> tasks = new ArrayList<>();
    private long sequence;

    public FakeScheduler(FakeTicker ticker) {
        this.ticker = ticker;
    }

    public FakeTicker ticker() {
        return ticker;
    }

    @Override
    public synchronized Cancellable schedule(Runnable runnable, long delayNanos) {
        Task task = new Task(ticker.nanos() + Math.max(0, delayNanos), sequence++, runnable);
        tasks.add(task);
        return () -> {
            synchronized (FakeScheduler.this) {
                tasks.remove(task);
            }
        };
    }

    /** Moves time forward by {@code duration}, running every task that falls due on the way. */
    public void advance(Duration duration) {
        long end = ticker.nanos() + duration.toNanos();
        while (true) {
            Task next;
            synchronized (this) {
                next = tasks.stream()
                        .filter(t -> t.dueNanos <= end)
                        .min(Comparator.comparingLong((Task t) -> t.dueNanos).thenComparingLong(t -> t.sequence))
                        .orElse(null);
                if (next != null) {
                    tasks.remove(next);
                }
            }
            if (next == null) {
                break;
            }
            if (next.dueNanos > ticker.nanos()) {
                ticker.advanceNanos(next.dueNanos - ticker.nanos());
            }
            next.runnable.run();
        }
        if (end > ticker.nanos()) {
            ticker.advanceNanos(end - ticker.nanos());
        }
    }

    /** Tasks waiting to run. */
    public synchronized int pending() {
        return tasks.size();
    }

    private record Task(long dueNanos, long sequence, Runnable runnable) {
    }
}
