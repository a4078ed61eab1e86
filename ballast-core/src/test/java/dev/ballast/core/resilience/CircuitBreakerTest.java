package dev.ballast.core.resilience;

import dev.ballast.core.resilience.CircuitBreaker.Admission;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CircuitBreakerTest {

    private final CircuitBreaker breaker = CircuitBreaker.of(2, 3, 4);

    @Test
    void admitsRequestsUpToTheLimitThenNamesIt() {
        for (int i = 0; i < 4; i++) {
            assertThat(breaker.tryAcquireRequest()).isEqualTo(Admission.ADMITTED);
        }
        assertThat(breaker.tryAcquireRequest()).isEqualTo(Admission.MAX_REQUESTS);
        assertThat(breaker.requests()).isEqualTo(4);
    }

    @Test
    void eachLimitReportsItself() {
        breaker.tryAcquireConnection();
        breaker.tryAcquireConnection();
        for (int i = 0; i < 3; i++) {
            breaker.tryAcquirePendingRequest();
        }
        assertThat(breaker.tryAcquireConnection()).isEqualTo(Admission.MAX_CONNECTIONS);
        assertThat(breaker.tryAcquirePendingRequest()).isEqualTo(Admission.MAX_PENDING_REQUESTS);
        assertThat(breaker.tryAcquireRequest()).isEqualTo(Admission.ADMITTED); // independent of the others
    }

    @Test
    void recoversAsSoonAsTheCountDrops() {
        for (int i = 0; i < 4; i++) {
            breaker.tryAcquireRequest();
        }
        assertThat(breaker.tryAcquireRequest().admitted()).isFalse();

        breaker.releaseRequest();

        assertThat(breaker.tryAcquireRequest()).isEqualTo(Admission.ADMITTED);
        assertThat(breaker.tryAcquireRequest()).isEqualTo(Admission.MAX_REQUESTS);
    }

    @Test
    void countsRejectionsPerLimitAndDescribesTheLimitForTheErrorBody() {
        for (int i = 0; i < 6; i++) {
            breaker.tryAcquireRequest();
        }
        assertThat(breaker.rejected(Admission.MAX_REQUESTS)).isEqualTo(2);
        assertThat(breaker.rejected(Admission.MAX_CONNECTIONS)).isZero();
        assertThat(breaker.describe(Admission.MAX_REQUESTS)).isEqualTo("circuit breaker: max_requests (4) reached");
        assertThat(breaker.max(Admission.MAX_PENDING_REQUESTS)).isEqualTo(3);
        assertThat(Admission.MAX_PENDING_REQUESTS.limitName()).isEqualTo("max_pending_requests");
    }

    @Test
    void neverAdmitsMoreThanTheLimitUnderConcurrentAcquires() throws Exception {
        CircuitBreaker shared = CircuitBreaker.of(1, 1, 10);
        int threads = 8;
        AtomicInteger held = new AtomicInteger();
        AtomicInteger maxHeld = new AtomicInteger();
        AtomicInteger admitted = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(threads);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < 20_000; i++) {
                        if (shared.tryAcquireRequest().admitted()) {
                            maxHeld.accumulateAndGet(held.incrementAndGet(), Math::max);
                            admitted.incrementAndGet();
                            held.decrementAndGet();
                            shared.releaseRequest();
                        } else {
                            refused.incrementAndGet();
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    done.countDown();
                }
            });
            workers.add(worker);
            worker.start();
        }
        start.countDown();
        assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
        for (Thread worker : workers) {
            worker.join();
        }
        assertThat(maxHeld.get()).isLessThanOrEqualTo(10);
        assertThat(admitted.get() + refused.get()).isEqualTo(threads * 20_000);
        assertThat(shared.rejected(Admission.MAX_REQUESTS)).isEqualTo(refused.get());
        assertThat(shared.requests()).isZero();
    }

    @Test
    void releasingMoreThanAcquiredIsABugAndLeavesTheCountAlone() {
        assertThatThrownBy(breaker::releaseConnection)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("max_connections");
        assertThat(breaker.connections()).isZero();
    }

    @Test
    void unlimitedAdmitsEverythingAndStillCounts() {
        CircuitBreaker unlimited = CircuitBreaker.unlimited();
        for (int i = 0; i < 10_000; i++) {
            assertThat(unlimited.tryAcquireRequest().admitted()).isTrue();
        }
        assertThat(unlimited.requests()).isEqualTo(10_000);
    }

    @Test
    void rejectsLimitsBelowOne() {
        assertThatThrownBy(() -> CircuitBreaker.of(0, 1, 1)).hasMessage("max_connections: 0 (expected: >= 1)");
        assertThatThrownBy(() -> CircuitBreaker.of(1, -3, 1)).hasMessage("max_pending_requests: -3 (expected: >= 1)");
        assertThatThrownBy(() -> CircuitBreaker.of(1, 1, 0)).hasMessage("max_requests: 0 (expected: >= 1)");
    }
}
