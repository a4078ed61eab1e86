package dev.ballast.core.time;

/**
 * A monotonic clock in nanoseconds. Core code reads time only through a {@code Ticker}, so every
 * time-dependent algorithm (EWMA decay, slow start, ejection) can be tested with a fake one.
 *
 * <p>Implementations must be thread-safe and cheap: the data path calls {@link #nanos()} per pick.
 */
@FunctionalInterface
public interface Ticker {

    /** Nanoseconds from an arbitrary origin; only differences are meaningful. */
    long nanos();

    /** The JVM's monotonic clock, {@link System#nanoTime()}. */
    static Ticker system() {
        return System::nanoTime;
    }
}
