package dev.ballast.core.resilience;

import dev.ballast.core.pick.Rng;

import java.time.Duration;
import java.util.Objects;

/**
 * Exponential backoff with full jitter: the delay before retry {@code n} (0 for the first retry) is
 * uniform in {@code [0, min(max, base * 2^n)]}.
 *
 * <p>Full jitter rather than "exponential plus a little noise": when many clients fail at once, the
 * spread over the whole window is what stops them coming back in a synchronised wave, and it costs
 * the least total work of the variants compared in Marc Brooker's "Exponential Backoff And Jitter"
 * (AWS Architecture Blog, 2015).
 *
 * @param base the ceiling of the first retry's delay; zero means no delay at all
 * @param max  the cap on every ceiling, at least {@code base}
 */
public record Backoff(Duration base, Duration max) {

    private static final Backoff NONE = new Backoff(Duration.ZERO, Duration.ZERO);

    public Backoff {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(max, "max");
        if (base.isNegative()) {
            throw new IllegalArgumentException("backoff.base: " + base + " (expected: >= 0)");
        }
        if (max.compareTo(base) < 0) {
            throw new IllegalArgumentException("backoff.max: " + max + " (expected: >= base " + base + ")");
        }
        max.toNanos(); // fails fast (ArithmeticException) on a duration too long for nanosecond math
    }

    /** Exponential backoff from {@code base} up to {@code max}, with full jitter. */
    public static Backoff exponential(Duration base, Duration max) {
        return new Backoff(base, max);
    }

    /** Retries at once: the null object. */
    public static Backoff none() {
        return NONE;
    }

    /** The upper bound of the delay before retry {@code retry} (0-based), in nanoseconds. */
    public long ceilingNanos(int retry) {
        long baseNanos = base.toNanos();
        long maxNanos = max.toNanos();
        int n = Math.max(0, retry);
        if (baseNanos == 0) {
            return 0;
        }
        if (n >= Long.SIZE - 1 || baseNanos > (maxNanos >> n)) {
            return maxNanos; // base * 2^n would pass the cap (or overflow)
        }
        return Math.min(maxNanos, baseNanos << n);
    }

    /**
     * The delay before retry {@code retry} (0-based), in nanoseconds: uniform in {@code [0, ceiling]}.
     * Allocation-free; {@code rng} is the caller's (seeded in tests, thread-local in production).
     */
    public long delayNanos(int retry, Rng rng) {
        long ceiling = ceilingNanos(retry);
        if (ceiling == 0) {
            return 0;
        }
        return Math.min(ceiling, (long) (rng.nextDouble() * (ceiling + 1.0)));
    }
}
