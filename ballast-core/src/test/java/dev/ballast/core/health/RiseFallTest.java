package dev.ballast.core.health;

import dev.ballast.core.state.Health;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RiseFallTest {

    @ParameterizedTest(name = "unhealthy after {0}, healthy after {1}")
    @CsvSource({"1, 1", "3, 2", "2, 5", "10, 10"})
    void movesExactlyByTheThresholds(int unhealthy, int healthy) {
        RiseFall machine = new RiseFall(unhealthy, healthy, Health.HEALTHY);

        for (int i = 1; i < unhealthy; i++) {
            assertThat(machine.record(false).transitioned()).as("failure %d", i).isFalse();
        }
        RiseFall.Step down = machine.record(false);
        assertThat(down.transitioned()).isTrue();
        assertThat(down.after()).isEqualTo(new HealthStatus(Health.UNHEALTHY, 0, 0));

        for (int i = 1; i < healthy; i++) {
            assertThat(machine.record(true).transitioned()).as("success %d", i).isFalse();
            assertThat(machine.status()).isEqualTo(new HealthStatus(Health.UNHEALTHY, i, 0));
        }
        RiseFall.Step up = machine.record(true);
        assertThat(up.transitioned()).isTrue();
        assertThat(up.before().health()).isEqualTo(Health.UNHEALTHY);
        assertThat(machine.status().health()).isEqualTo(Health.HEALTHY);
    }

    @Test
    void aResultThatAgreesWithTheVerdictStartsTheRunOver() {
        RiseFall machine = new RiseFall(3, 2, Health.HEALTHY);
        machine.record(false);
        machine.record(false);
        machine.record(true);
        machine.record(false);
        machine.record(false);
        assertThat(machine.status()).isEqualTo(new HealthStatus(Health.HEALTHY, 0, 2));

        machine.record(false);
        machine.record(true);
        machine.record(false);
        machine.record(true);
        assertThat(machine.status()).isEqualTo(new HealthStatus(Health.UNHEALTHY, 1, 0));
    }

    @Test
    void moreResultsAgreeingWithTheVerdictChangeNothing() {
        RiseFall machine = new RiseFall(2, 2, Health.UNHEALTHY);
        for (int i = 0; i < 5; i++) {
            RiseFall.Step step = machine.record(false);
            assertThat(step.transitioned()).isFalse();
            assertThat(step.after()).isSameAs(step.before());
        }
    }

    @Test
    void concurrentResultsTransitionExactlyOnce() throws Exception {
        RiseFall machine = new RiseFall(1_000, 1, Health.HEALTHY);
        AtomicInteger transitions = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (int i = 0; i < 500; i++) {
                    if (machine.record(false).transitioned()) {
                        transitions.incrementAndGet();
                    }
                }
            });
            threads.add(thread);
            thread.start();
        }
        start.countDown();
        for (Thread thread : threads) {
            assertThat(thread.join(Duration.ofSeconds(10))).as("%s ended", thread).isTrue();
        }
        // 4,000 failures: the 1,000th flips it, the other 3,000 agree with UNHEALTHY.
        assertThat(transitions.get()).isEqualTo(1);
        assertThat(machine.status().health()).isEqualTo(Health.UNHEALTHY);
    }

    @Test
    void rejectsThresholdsBelowOne() {
        assertThatThrownBy(() -> new RiseFall(0, 1, Health.HEALTHY)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HealthStatus(Health.HEALTHY, -1, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
