package dev.ballast.core.state;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.testing.FakeTicker;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class EndpointStateTest {

    private static final long MS = 1_000_000L;

    private final FakeTicker ticker = new FakeTicker();
    private final EndpointRegistry registry = new EndpointRegistry(ticker, Duration.ofSeconds(10));
    private final EndpointState state = registry.sync(List.of(Endpoint.parse("10.0.0.1:80"))).get(0);

    @Test
    void countsRequestsInFlightHereAndInTheRegistry() {
        state.acquire();
        state.acquire();
        assertThat(state.active()).isEqualTo(2);
        assertThat(registry.totalActive()).isEqualTo(2);

        state.release();
        state.release(5 * MS);
        assertThat(state.active()).isZero();
        assertThat(registry.totalActive()).isZero();
    }

    @Test
    void tryAcquireAdmitsOnlyBelowTheLimit() {
        assertThat(state.tryAcquire(2)).isTrue();
        assertThat(state.tryAcquire(2)).isTrue();
        assertThat(state.tryAcquire(2)).isFalse();
        assertThat(state.active()).isEqualTo(2);
        assertThat(registry.totalActive()).isEqualTo(2);
    }

    @Test
    void tellsTheBoundObserverEveryChange() {
        List<String> seen = new ArrayList<>();
        state.bindLoadObserver((slot, active, delta) -> seen.add(slot + ":" + active + ":" + delta), 7);

        state.acquire();
        state.tryAcquire(10);
        state.release();

        assertThat(seen).containsExactly("7:1:1", "7:2:1", "7:1:-1");
    }

    /**
     * A balancer rebinds endpoints to a new picker's index while requests come and go. The observer
     * and its slot must change together: an old picker told a new picker's slot indexes past its own
     * arrays (least-connections threw ArrayIndexOutOfBoundsException on the request path).
     */
    @Test
    void anObserverIsOnlyEverToldItsOwnSlot() throws Exception {
        java.util.concurrent.atomic.AtomicReference<String> mismatch = new java.util.concurrent.atomic.AtomicReference<>();
        LoadObserver first = (slot, active, delta) -> {
            if (slot != 1) {
                mismatch.compareAndSet(null, "first observer told slot " + slot);
            }
        };
        LoadObserver second = (slot, active, delta) -> {
            if (slot != 2) {
                mismatch.compareAndSet(null, "second observer told slot " + slot);
            }
        };
        long deadline = System.nanoTime() + Duration.ofMillis(300).toNanos();
        Thread requests = new Thread(() -> {
            while (System.nanoTime() - deadline < 0 && mismatch.get() == null) {
                state.acquire();
                state.release();
            }
        });
        requests.start();
        try {
            while (System.nanoTime() - deadline < 0 && mismatch.get() == null) {
                state.bindLoadObserver(first, 1);
                state.bindLoadObserver(second, 2);
            }
        } finally {
            requests.join(10_000);
        }
        assertThat(requests.isAlive()).isFalse();
        assertThat(mismatch.get()).isNull();
        assertThat(state.active()).isZero();
    }

    @Test
    void latencyEwmaTakesAPeakAtOnce() {
        state.observeLatency(10 * MS);
        assertThat(state.latencyEwmaNanos(ticker.nanos())).isCloseTo(10 * MS, within(1e3));

        state.observeLatency(200 * MS);
        assertThat(state.latencyEwmaNanos(ticker.nanos())).isCloseTo(200 * MS, within(1e3));
    }

    @Test
    void aTimeoutRaisesTheEstimateToWhatWasWaitedButNeverLowersIt() {
        state.observeLatency(10 * MS);
        state.tryAcquire(Integer.MAX_VALUE);

        state.releaseTimedOut(2_000 * MS, ticker.nanos()); // no answer within 2 s: at least that slow

        assertThat(state.latencyEwmaNanos(ticker.nanos())).isCloseTo(2_000 * MS, within(2_000 * MS * 0x1p-15));
        assertThat(state.active()).isZero();

        state.tryAcquire(Integer.MAX_VALUE);
        state.releaseTimedOut(50 * MS, ticker.nanos()); // a caller's short wait says nothing about a slow endpoint
        assertThat(state.latencyEwmaNanos(ticker.nanos())).isCloseTo(2_000 * MS, within(2_000 * MS * 0x1p-15));
    }

    @Test
    void latencyEwmaBlendsLowerSamplesByElapsedTime() {
        state.observeLatency(100 * MS);
        ticker.advance(Duration.ofSeconds(10)); // one decay constant: the old value keeps weight 1/e
        state.observeLatency(10 * MS);

        double w = Math.exp(-1);
        assertThat(state.latencyEwmaNanos(ticker.nanos())).isCloseTo((100 * w + 10 * (1 - w)) * MS, within(0.01 * MS));
    }

    @Test
    void latencyEwmaDecaysTowardsZeroWithoutTraffic() {
        assertThat(state.latencyEwmaNanos(ticker.nanos())).isZero();
        state.observeLatency(100 * MS);

        ticker.advance(Duration.ofSeconds(10));
        assertThat(state.latencyEwmaNanos(ticker.nanos())).isCloseTo(100 * MS * Math.exp(-1), within(0.01 * MS));
        ticker.advance(Duration.ofSeconds(60));
        assertThat(state.latencyEwmaNanos(ticker.nanos())).isLessThan(0.1 * MS);
    }

    @Test
    void aSampleMonthsAfterTheLastOneIsTimedRightNotWrappedAround() {
        state.observeLatency(100 * MS);
        ticker.advance(Duration.ofDays(40)); // past 2^31 ms: a 32-bit millisecond clock reads this as the past
        state.observeLatency(10 * MS);

        // The old estimate decayed to nothing over 40 days: the new, lower sample is the estimate now.
        assertThat(state.latencyEwmaNanos(ticker.nanos())).isCloseTo(10 * MS, within(0.01 * MS));
        assertThat(EndpointState.millisBetween(0, state.latencySampleMillis()))
                .isEqualTo(ticker.nanos() / MS);
    }

    @Test
    void latencyEwmaDecaysTheSameOverShortAndLongGaps() {
        state.observeLatency(100 * MS);
        long sampled = ticker.nanos();

        double stored = state.latencyEwmaNanos(sampled); // 100 ms to the 15 bits of mantissa kept
        assertThat(stored).isCloseTo(100 * MS, within(100 * MS * 0x1p-15));
        for (long gapMillis : new long[] {0, 1, 7, 500, 1_023, 1_024, 5_000, 123_456, 1_048_575, 1_048_576, 3_000_000}) {
            assertThat(state.latencyEwmaNanos(sampled + gapMillis * MS)).as("after %d ms", gapMillis)
                    .isCloseTo(stored * Math.exp(-gapMillis / 10_000.0), within(1.0));
        }
        // Compared at a common time without a clock: at its own sample time it has not decayed yet.
        assertThat(state.latencySampleMillis()).isEqualTo(sampled / MS);
        assertThat(state.latencyEwmaNanosAt(state.latencySampleMillis() - 5)).isEqualTo(stored);
        assertThat(state.hasLatencySample()).isTrue();
    }

    @Test
    void isEligibleOnlyWhenHealthyNotEjectedAndNotDraining() {
        long now = ticker.nanos();
        assertThat(state.isEligible(now)).isTrue();

        state.setHealth(Health.UNHEALTHY);
        assertThat(state.isEligible(now)).isFalse();
        state.setHealth(Health.HEALTHY);

        state.setDraining(true);
        assertThat(state.isEligible(now)).isFalse();
        state.setDraining(false);

        state.eject(now + 30_000 * MS);
        assertThat(state.isEjected(now)).isTrue();
        assertThat(state.isEligible(now + 29_999 * MS)).isFalse();
        assertThat(state.isEligible(now + 30_000 * MS)).isTrue(); // the ejection expired by itself

        state.eject(now + 30_000 * MS);
        state.unEject();
        assertThat(state.isEligible(now)).isTrue();
    }

    @Test
    void countsOutcomes() {
        state.recordOutcome(false);
        state.recordOutcome(true);
        state.recordOutcome(true);

        assertThat(state.requests()).isEqualTo(3);
        assertThat(state.failures()).isEqualTo(2);
    }
}
