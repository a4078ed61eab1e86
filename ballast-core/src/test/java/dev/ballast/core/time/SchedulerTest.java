package dev.ballast.core.time;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

class SchedulerTest {

    @Test
    void runsTheTaskAfterTheDelay() throws InterruptedException {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        try {
            CountDownLatch ran = new CountDownLatch(1);
            Scheduler.of(executor).schedule(ran::countDown, TimeUnit.MILLISECONDS.toNanos(1));
            assertThat(ran.await(5, TimeUnit.SECONDS)).isTrue();
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void aCancelledTaskDoesNotRun() throws InterruptedException {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        try {
            AtomicBoolean ran = new AtomicBoolean();
            Scheduler.of(executor).schedule(() -> ran.set(true), TimeUnit.MILLISECONDS.toNanos(50)).cancel();
            executor.shutdown(); // delayed tasks still queued would run before termination
            assertThat(executor.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
            assertThat(ran).isFalse();
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void aTaskAskedOfAStoppedExecutorIsDroppedWithoutAnError() {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        executor.shutdownNow();
        Scheduler scheduler = Scheduler.of(executor);

        assertThatCode(() -> scheduler.schedule(() -> { }, 1_000).cancel()).doesNotThrowAnyException();
    }
}
