package dev.ballast.core.time;

import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs control-path tasks later (slow-start refreshes, health checks, ejection expiry). Injected so
 * tests drive time by hand instead of sleeping.
 */
@FunctionalInterface
public interface Scheduler {

    /** Runs {@code task} once after {@code delayNanos}; the returned handle cancels it if it has not run. */
    Cancellable schedule(Runnable task, long delayNanos);

    /** A scheduled task that can still be called off. */
    @FunctionalInterface
    interface Cancellable {
        void cancel();
    }

    /**
     * Adapts a JDK executor. The executor's lifecycle stays with the caller; once it is shut down, tasks
     * are dropped, not refused with an exception: what asks for a later step then (a slow-start ramp
     * begun while an upstream retires at shutdown) is being stopped with it.
     */
    static Scheduler of(ScheduledExecutorService executor) {
        Objects.requireNonNull(executor, "executor");
        return (task, delayNanos) -> {
            ScheduledFuture<?> future;
            try {
                future = executor.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException stopped) {
                return () -> { };
            }
            return () -> future.cancel(false);
        };
    }
}
