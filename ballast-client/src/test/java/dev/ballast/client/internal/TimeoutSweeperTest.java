package dev.ballast.client.internal;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class TimeoutSweeperTest {

    private static final long TICK = TimeUnit.MILLISECONDS.toNanos(5);

    private static final long IDLE = TimeUnit.MILLISECONDS.toNanos(50);

    private final TimeoutSweeper sweeper = new TimeoutSweeper(TICK, IDLE, "test-timeouts");

    @AfterEach
    void tearDown() {
        sweeper.close();
    }

    @Test
    void runsATimeoutWhenDueWithinATick() throws InterruptedException {
        CountDownLatch fired = new CountDownLatch(1);
        long start = System.nanoTime();

        sweeper.schedule(fired::countDown, TimeUnit.MILLISECONDS.toNanos(50));

        assertThat(fired.await(2, TimeUnit.SECONDS)).isTrue();
        // Due within a tick (5 ms); the rest is room for a busy machine.
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(50L, 1_500L);
        assertThat(sweeper.pending()).isZero();
    }

    @Test
    void aCancelledTimeoutNeverRuns() {
        AtomicInteger runs = new AtomicInteger();

        sweeper.schedule(runs::incrementAndGet, TimeUnit.MILLISECONDS.toNanos(20)).cancel();

        assertThat(sweeper.pending()).isZero();
        await().during(Duration.ofMillis(100)).atMost(Duration.ofSeconds(1)).until(() -> runs.get() == 0);
    }

    @Test
    void wakesFromIdleForANewTimeout() throws InterruptedException {
        CountDownLatch first = new CountDownLatch(1);
        sweeper.schedule(first::countDown, 0);
        assertThat(first.await(1, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(this::parkedForGood); // past the idle time

        CountDownLatch second = new CountDownLatch(1);
        long start = System.nanoTime();
        sweeper.schedule(second::countDown, TimeUnit.MILLISECONDS.toNanos(10));

        assertThat(second.await(2, TimeUnit.SECONDS)).isTrue();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1_000);
    }

    /** The sweeper's thread waits with no time limit (not a tick's park), on the sweeper itself. */
    private boolean parkedForGood() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(thread -> thread.getState() == Thread.State.WAITING && LockSupport.getBlocker(thread) == sweeper);
    }
}
