package dev.ballast.client.internal;

import dev.ballast.core.testing.FakeTicker;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class LatencyWindowTest {

    private final FakeTicker ticker = new FakeTicker();
    private final LatencyWindow window = new LatencyWindow(ticker, Duration.ofSeconds(10).toNanos());

    @Test
    void bucketsCoverEveryLatencyWithinTheirResolution() {
        for (long nanos = 1; nanos < Duration.ofMinutes(30).toNanos(); nanos = nanos * 3 / 2 + 1) {
            int bucket = LatencyWindow.bucket(nanos);
            long upper = LatencyWindow.upperBound(bucket);
            if (nanos < (1L << 40)) {
                assertThat(upper).as("upper bound for %d ns", nanos).isGreaterThan(nanos);
                assertThat((double) upper).as("resolution at %d ns", nanos).isLessThanOrEqualTo(Math.max(1024, nanos * 1.25));
            }
        }
    }

    @Test
    void givesThePercentileOfRecentLatencies() {
        for (int i = 1; i <= 100; i++) {
            window.record(Duration.ofMillis(i).toNanos());
        }

        long p95 = window.percentileNanos(0.95, 50, -1);

        assertThat(Duration.ofNanos(p95)).isBetween(Duration.ofMillis(95), Duration.ofMillis(119));
    }

    @Test
    void fallsBackUntilThereAreEnoughSamples() {
        window.record(Duration.ofMillis(5).toNanos());

        assertThat(window.percentileNanos(0.95, 50, 123)).isEqualTo(123);
    }

    @Test
    void forgetsLatenciesOlderThanTwoIntervals() {
        for (int i = 0; i < 100; i++) {
            window.record(Duration.ofSeconds(1).toNanos());
        }
        ticker.advance(Duration.ofSeconds(11));
        for (int i = 0; i < 100; i++) {
            window.record(Duration.ofMillis(1).toNanos());
        }
        assertThat(window.percentileNanos(0.5, 50, -1)).isGreaterThan(Duration.ofMillis(1).toNanos())
                .isLessThan(Duration.ofMillis(2).toNanos());
        assertThat(window.percentileNanos(0.99, 50, -1)).isGreaterThan(Duration.ofSeconds(1).toNanos());

        ticker.advance(Duration.ofSeconds(10));
        window.record(Duration.ofMillis(1).toNanos());

        assertThat(window.percentileNanos(0.99, 50, -1)).isLessThan(Duration.ofMillis(2).toNanos());
    }
}
