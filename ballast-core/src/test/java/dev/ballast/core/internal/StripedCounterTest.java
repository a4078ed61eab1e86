package dev.ballast.core.internal;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link StripedCounter}: the sum is exact however threads share stripes and whichever thread counts down. */
class StripedCounterTest {

    private static final int ADDS = 5_000_000;

    @Test
    void sumsExactlyWhenTwoThreadsOnOneStripeAddAtOnce() throws Exception {
        StripedCounter counter = new StripedCounter();
        CyclicBarrier start = new CyclicBarrier(2);
        Runnable adds = () -> {
            await(start);
            for (int i = 0; i < ADDS; i++) {
                counter.add(1);
            }
        };
        // Thread ids are given at creation: make threads until two share a stripe (ids COUNT apart).
        Thread first = Thread.ofPlatform().unstarted(adds);
        Thread second;
        List<Thread> unused = new ArrayList<>();
        while (Stripes.of(second = Thread.ofPlatform().unstarted(adds)) != Stripes.of(first)) {
            unused.add(second);
        }
        assertThat(unused).hasSizeLessThan(Stripes.COUNT);
        first.start();
        second.start();
        first.join(30_000);
        second.join(30_000);
        assertThat(counter.sum()).as("no add lost to the other thread on the stripe").isEqualTo(2L * ADDS);
    }

    @Test
    void countsDownOnAnotherThreadThanCountedUp() throws Exception {
        StripedCounter counter = new StripedCounter();
        for (int i = 0; i < 10; i++) {
            counter.add(1);
        }
        Thread other = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < 7; i++) {
                counter.add(-1);
            }
        });
        other.join(10_000);
        assertThat(counter.sum()).isEqualTo(3);
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
