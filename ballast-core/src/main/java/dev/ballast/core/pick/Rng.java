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

        @Override
        public int nextInt(int bound) {
            return ThreadLocalRandom.current().nextInt(bound);
        }

        @Override
        public double nextDouble() {
            return ThreadLocalRandom.current().nextDouble();
        }
    }
}
