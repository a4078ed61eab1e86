package dev.ballast.core.pick;

import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The randomness a balancer uses. Injected so distribution tests are deterministic (a seeded
 * source) while production uses {@link ThreadLocalRandom}, which is contention- and allocation-free.
 */
public interface Rng {

    /** A uniformly distributed int in {@code [0, bound)}; {@code bound} is positive. */
    int nextInt(int bound);

    /** A uniformly distributed double in {@code [0, 1)}. */
    double nextDouble();

    /** The production source: thread-safe and lock-free. */
    static Rng threadLocal() {
        return ThreadLocalRng.INSTANCE;
    }

    /**
     * A deterministic source for tests and simulations. Not thread-safe: use it from one thread, or
     * use {@link #threadLocal()} where several threads pick at once.
     */
    static Rng seeded(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        return new Rng() {
            @Override
            public int nextInt(int bound) {
                return random.nextInt(bound);
            }

            @Override
            public double nextDouble() {
                return random.nextDouble();
            }
        };
    }

    /** The thread-local source as a singleton, so it costs no allocation and no lookup per pick. */
    enum ThreadLocalRng implements Rng {
        INSTANCE;

        /**
         * Lemire's multiply-shift with rejection ("Fast Random Integer Generation in an Interval",
         * 2019): exactly uniform like {@link ThreadLocalRandom#nextInt(int)}, but without its modulo,
         * a division that costs a tenth of a pick; the rejection step divides about once in 2^32 / bound.
         */
        @Override
        public int nextInt(int bound) {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            long product = (random.nextInt() & 0xFFFF_FFFFL) * bound;
            int low = (int) product;
            if (Integer.compareUnsigned(low, bound) < 0) {
                int threshold = Integer.remainderUnsigned(-bound, bound);
                while (Integer.compareUnsigned(low, threshold) < 0) {
                    product = (random.nextInt() & 0xFFFF_FFFFL) * bound;
                    low = (int) product;
                }
            }
            return (int) (product >>> 32);
        }

        @Override
        public double nextDouble() {
            return ThreadLocalRandom.current().nextDouble();
        }
    }
}
