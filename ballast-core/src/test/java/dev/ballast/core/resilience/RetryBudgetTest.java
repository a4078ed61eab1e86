package dev.ballast.core.resilience;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RetryBudgetTest {

    @Test
    void allowsTheMinimumConcurrencyWithLittleTraffic() {
        RetryBudget budget = RetryBudget.of(20, 3);
        budget.requestStarted(); // 20% of 1 request rounds down to 0: the minimum applies

        assertThat(budget.tryAcquireRetry()).isTrue();
        assertThat(budget.tryAcquireRetry()).isTrue();
        assertThat(budget.tryAcquireRetry()).isTrue();
        assertThat(budget.tryAcquireRetry()).isFalse();
        assertThat(budget.activeRetries()).isEqualTo(3);
        assertThat(budget.rejected()).isEqualTo(1);
    }

    @Test
    void capsRetriesInFlightAtTheBudgetShareOfActiveRequests() {
        RetryBudget budget = RetryBudget.of(20, 3);
        for (int i = 0; i < 100; i++) {
            budget.requestStarted();
        }
        assertThat(budget.limit()).isEqualTo(20);
        int granted = 0;
        while (budget.tryAcquireRetry()) {
            granted++;
        }
        assertThat(granted).isEqualTo(20);
    }

    @Test
    void aWholePercentOfAWholeNumberOfRequestsIsExactlyThatManyRetries() {
        for (int percent : new int[] {29, 57, 58, 7, 14}) {
            RetryBudget budget = RetryBudget.of(percent, 0);
            for (int i = 0; i < 100; i++) {
                budget.requestStarted();
            }
            assertThat(budget.limit()).as(percent + "% of 100").isEqualTo(percent);
        }
    }

    @Test
    void recoversAsRetriesEnd() {
        RetryBudget budget = RetryBudget.of(50, 0);
        budget.requestStarted();
        budget.requestStarted();
        assertThat(budget.tryAcquireRetry()).isTrue();
        assertThat(budget.tryAcquireRetry()).isFalse();

        budget.releaseRetry();

        assertThat(budget.tryAcquireRetry()).isTrue();
    }

    @Test
    void shrinksWhenRequestsFinish() {
        RetryBudget budget = RetryBudget.of(10, 1);
        for (int i = 0; i < 50; i++) {
            budget.requestStarted();
        }
        assertThat(budget.limit()).isEqualTo(5);
        for (int i = 0; i < 45; i++) {
            budget.requestFinished();
        }
        assertThat(budget.limit()).isEqualTo(1);
        assertThat(budget.activeRequests()).isEqualTo(5);
    }

    @Test
    void zeroMinimumWithoutTrafficRefusesEveryRetry() {
        RetryBudget budget = RetryBudget.of(20, 0);
        assertThat(budget.tryAcquireRetry()).isFalse();
    }

    @Test
    void unlimitedNeverRefuses() {
        RetryBudget budget = RetryBudget.unlimited();
        for (int i = 0; i < 1000; i++) {
            assertThat(budget.tryAcquireRetry()).isTrue();
        }
        for (int i = 0; i < 1000; i++) {
            budget.releaseRetry();
        }
    }

    /**
     * Every try fails and every request retries as often as the budget lets it: with 16 threads each
     * holding 25 requests in progress (400 active), retries in flight never pass 20% of them.
     */
    @Test
    void holdsUnderAllFailingConcurrentLoad() throws Exception {
        RetryBudget budget = RetryBudget.of(20, 3);
        int threads = 16;
        int requestsPerThread = 25;
        int rounds = 2_000;
        long limit = threads * requestsPerThread / 5;
        // Each thread alone asks for more than the whole budget in every round, so rejections do not
        // depend on how many threads the machine runs at once (two cores run two of sixteen).
        int attemptsPerRound = (int) limit + 1;
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxInFlight = new AtomicInteger();
        AtomicLong granted = new AtomicLong();
        AtomicLong violations = new AtomicLong();
        CyclicBarrier loaded = new CyclicBarrier(threads);
        CountDownLatch done = new CountDownLatch(threads);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                try {
                    for (int i = 0; i < requestsPerThread; i++) {
                        budget.requestStarted();
                    }
                    loaded.await(10, TimeUnit.SECONDS);
                    for (int round = 0; round < rounds; round++) {
                        int held = 0;
                        for (int r = 0; r < attemptsPerRound && budget.tryAcquireRetry(); r++) {
                            held++;
                            int now = inFlight.incrementAndGet();
                            maxInFlight.accumulateAndGet(now, Math::max);
                            if (now > limit) {
                                violations.incrementAndGet();
                            }
                        }
                        granted.addAndGet(held);
                        Thread.onSpinWait(); // the "retry" fails too
                        for (int r = 0; r < held; r++) {
                            inFlight.decrementAndGet();
                            budget.releaseRetry();
                        }
                    }
                    loaded.await(10, TimeUnit.SECONDS); // all retries released before requests end
                    for (int i = 0; i < requestsPerThread; i++) {
                        budget.requestFinished();
                    }
                } catch (Exception e) {
                    throw new AssertionError(e);
                } finally {
                    done.countDown();
                }
            });
            workers.add(worker);
            worker.start();
        }
        assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
        for (Thread worker : workers) {
            worker.join();
        }

        assertThat(violations.get()).isZero();
        assertThat(maxInFlight.get()).isLessThanOrEqualTo((int) limit).isGreaterThan(0);
        assertThat(budget.rejected()).isPositive();
        assertThat(granted.get()).isPositive();
        assertThat(budget.activeRetries()).isZero();
        assertThat(budget.activeRequests()).isZero();
    }

    @Test
    void releasingMoreThanAcquiredIsABug() {
        RetryBudget budget = RetryBudget.of(20, 3);
        assertThatThrownBy(budget::releaseRetry).isInstanceOf(IllegalStateException.class);
        assertThat(budget.activeRetries()).isZero();
    }

    @Test
    void rejectsInvalidSettingsWithWhatWasExpected() {
        assertThatThrownBy(() -> RetryBudget.of(120, 3)).hasMessage("budget_percent: 120.0 (expected: 0..100)");
        assertThatThrownBy(() -> RetryBudget.of(Double.NaN, 3)).hasMessageStartingWith("budget_percent: NaN");
        assertThatThrownBy(() -> RetryBudget.of(20, -1)).hasMessage("min_retry_concurrency: -1 (expected: >= 0)");
    }
}
