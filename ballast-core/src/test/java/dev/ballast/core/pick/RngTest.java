package dev.ballast.core.pick;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class RngTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 7, 1_000, 65_537, 1 << 30, (1 << 30) + 1, Integer.MAX_VALUE})
    void threadLocalStaysWithinTheBound(int bound) {
        Rng rng = Rng.threadLocal();
        for (int k = 0; k < 100_000; k++) {
            assertThat(rng.nextInt(bound)).isBetween(0, bound - 1);
        }
    }

    /**
     * Uniform over a bound that is not a power of two. The thread-local source cannot be seeded, so
     * the tolerance is six standard deviations (a fair source fails about once in 10^8 runs), while a
     * plain {@code (r * bound) >>> 32} without rejection would still pass: the bias there is 2^-29.
     * The buckets catch the gross errors: a modulo of a signed value, an off-by-one, a lost bit.
     */
    @Test
    void threadLocalIsUniform() {
        Rng rng = Rng.threadLocal();
        int bound = 7;
        int draws = 1_400_000;
        int[] counts = new int[bound];
        for (int k = 0; k < draws; k++) {
            counts[rng.nextInt(bound)]++;
        }
        double expected = (double) draws / bound;
        double sigma = Math.sqrt(expected * (1 - 1.0 / bound));
        for (int count : counts) {
            assertThat((double) count).isBetween(expected - 6 * sigma, expected + 6 * sigma);
        }
    }

    @Test
    void seededRepeatsItself() {
        Rng first = Rng.seeded(42);
        Rng second = Rng.seeded(42);
        for (int k = 0; k < 100; k++) {
            assertThat(first.nextInt(1_000)).isEqualTo(second.nextInt(1_000));
        }
    }
}
