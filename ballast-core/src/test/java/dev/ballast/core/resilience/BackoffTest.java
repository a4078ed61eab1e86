package dev.ballast.core.resilience;

import dev.ballast.core.pick.Rng;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class BackoffTest {

    private static final long MS = 1_000_000L;
    private final Backoff backoff = Backoff.exponential(Duration.ofMillis(25), Duration.ofMillis(250));

    @Test
    void ceilingDoublesPerRetryUpToTheCap() {
        assertThat(backoff.ceilingNanos(0)).isEqualTo(25 * MS);
        assertThat(backoff.ceilingNanos(1)).isEqualTo(50 * MS);
        assertThat(backoff.ceilingNanos(2)).isEqualTo(100 * MS);
        assertThat(backoff.ceilingNanos(3)).isEqualTo(200 * MS);
        assertThat(backoff.ceilingNanos(4)).isEqualTo(250 * MS);
        assertThat(backoff.ceilingNanos(5)).isEqualTo(250 * MS);
    }

    @Test
    void hugeRetryNumbersStayAtTheCapWithoutOverflow() {
        assertThat(backoff.ceilingNanos(62)).isEqualTo(250 * MS);
        assertThat(backoff.ceilingNanos(63)).isEqualTo(250 * MS);
        assertThat(backoff.ceilingNanos(Integer.MAX_VALUE)).isEqualTo(250 * MS);
        assertThat(backoff.ceilingNanos(-1)).isEqualTo(25 * MS);
    }

    @Test
    void delaysStayWithinZeroAndTheCeiling() {
        Rng rng = Rng.seeded(7);
        for (int retry = 0; retry < 8; retry++) {
            long ceiling = backoff.ceilingNanos(retry);
            for (int i = 0; i < 10_000; i++) {
                assertThat(backoff.delayNanos(retry, rng)).isBetween(0L, ceiling);
            }
        }
    }

    @Test
    void fullJitterSpreadsOverTheWholeWindow() {
        Rng rng = Rng.seeded(42);
        int n = 20_000;
        long ceiling = backoff.ceilingNanos(2);
        long min = Long.MAX_VALUE;
        long max = 0;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            long delay = backoff.delayNanos(2, rng);
            min = Math.min(min, delay);
            max = Math.max(max, delay);
            sum += delay;
        }
        // Uniform on [0, ceiling]: mean ceiling/2 (sd of the mean ~0.2% of ceiling at n=20k).
        assertThat(sum / n / ceiling).isCloseTo(0.5, within(0.01));
        assertThat((double) min / ceiling).isLessThan(0.01);
        assertThat((double) max / ceiling).isGreaterThan(0.99);
    }

    @Test
    void extremeRandomValuesMapToTheEnds() {
        Rng zero = fixed(0.0);
        Rng almostOne = fixed(Math.nextDown(1.0));
        assertThat(backoff.delayNanos(1, zero)).isZero();
        assertThat(backoff.delayNanos(1, almostOne)).isEqualTo(50 * MS);
    }

    @Test
    void noneNeverWaits() {
        assertThat(Backoff.none().delayNanos(5, fixed(0.9))).isZero();
        assertThat(Backoff.exponential(Duration.ZERO, Duration.ofSeconds(1)).delayNanos(3, fixed(0.9))).isZero();
    }

    @Test
    void rejectsACapBelowTheBase() {
        assertThatThrownBy(() -> Backoff.exponential(Duration.ofMillis(100), Duration.ofMillis(50)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("backoff.max: PT0.05S (expected: >= base PT0.1S)");
        assertThatThrownBy(() -> Backoff.exponential(Duration.ofMillis(-1), Duration.ofMillis(50)))
                .hasMessageContaining("backoff.base");
    }

    private static Rng fixed(double value) {
        return new Rng() {
            @Override
            public int nextInt(int bound) {
                return (int) (value * bound);
            }

            @Override
            public double nextDouble() {
                return value;
            }
        };
    }
}
