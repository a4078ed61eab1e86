package dev.ballast.core.resilience;

import dev.ballast.core.time.Ticker;

import java.time.Duration;
import java.util.Objects;

/**
 * An absolute point in {@link Ticker} time by which a call must be done, over all its tries. A child
 * call made while serving a request inherits the parent's deadline rather than starting a fresh
 * timeout, so a chain of calls can never outlive the request at its root (the model of gRPC's {@code
 * Deadline} and Go's {@code context.WithDeadline}).
 *
 * <p>Immutable and thread-safe. Comparisons use the difference of tick values, so they stay right when
 * the ticker wraps around. Deadlines on different tickers cannot be combined.
 */
public final class Deadline implements Comparable<Deadline> {

    private final Ticker ticker;
    private final long deadlineNanos;
    private final boolean infinite;

    private Deadline(Ticker ticker, long deadlineNanos, boolean infinite) {
        this.ticker = ticker;
        this.deadlineNanos = deadlineNanos;
        this.infinite = infinite;
    }

    /** A deadline {@code timeout} from now; a timeout too long for nanosecond math means none. */
    public static Deadline after(Duration timeout, Ticker ticker) {
        Objects.requireNonNull(timeout, "timeout");
        long nanos;
        try {
            nanos = timeout.toNanos();
        } catch (ArithmeticException tooLong) {
            return none(ticker);
        }
        return afterNanos(nanos, ticker);
    }

    /** A deadline {@code timeoutNanos} from now (a negative value gives one already expired). */
    public static Deadline afterNanos(long timeoutNanos, Ticker ticker) {
        Objects.requireNonNull(ticker, "ticker");
        if (timeoutNanos > Long.MAX_VALUE / 2) {
            return none(ticker); // past any realistic horizon; avoids overflow in the arithmetic below
        }
        return new Deadline(ticker, ticker.nanos() + timeoutNanos, false);
    }

    /** No deadline: never expires; {@link #remainingNanos()} is {@link Long#MAX_VALUE}. */
    public static Deadline none(Ticker ticker) {
        return new Deadline(Objects.requireNonNull(ticker, "ticker"), 0, true);
    }

    public boolean isInfinite() {
        return infinite;
    }

    /** The absolute tick value; meaningless for an infinite deadline. */
    public long deadlineNanos() {
        return deadlineNanos;
    }

    public Ticker ticker() {
        return ticker;
    }

    /** Nanoseconds left, 0 once expired, {@link Long#MAX_VALUE} without a deadline. */
    public long remainingNanos() {
        if (infinite) {
            return Long.MAX_VALUE;
        }
        return Math.max(0, deadlineNanos - ticker.nanos());
    }

    /** Time left, zero once expired; a very long duration without a deadline. */
    public Duration remaining() {
        return Duration.ofNanos(remainingNanos());
    }

    public boolean expired() {
        return !infinite && deadlineNanos - ticker.nanos() <= 0;
    }

    /**
     * The timeout for the next try: the time left, shortened to {@code perTryTimeout} when that is
     * positive (zero or negative means no per-try timeout). 0 once expired; allocation-free.
     */
    public long tryTimeoutNanos(Duration perTryTimeout) {
        long remaining = remainingNanos();
        if (perTryTimeout.isZero() || perTryTimeout.isNegative()) {
            return remaining;
        }
        long perTry;
        try {
            perTry = perTryTimeout.toNanos();
        } catch (ArithmeticException tooLong) {
            return remaining;
        }
        return Math.min(remaining, perTry);
    }

    /** The deadline of the next try: the earlier of this one and {@code perTryTimeout} from now. */
    public Deadline forTry(Duration perTryTimeout) {
        if (perTryTimeout.isZero() || perTryTimeout.isNegative()) {
            return this;
        }
        return min(after(perTryTimeout, ticker));
    }

    /** The earlier of the two (this one if they are equal). */
    public Deadline min(Deadline other) {
        return compareTo(other) <= 0 ? this : other;
    }

    /** Earlier deadlines first; no deadline is later than any deadline. */
    @Override
    public int compareTo(Deadline other) {
        if (ticker != other.ticker) {
            throw new IllegalArgumentException("deadlines on different tickers cannot be compared");
        }
        if (infinite || other.infinite) {
            return Boolean.compare(infinite, other.infinite);
        }
        return Long.signum(deadlineNanos - other.deadlineNanos);
    }

    @Override
    public String toString() {
        if (infinite) {
            return "Deadline[none]";
        }
        long left = deadlineNanos - ticker.nanos();
        return left > 0
                ? "Deadline[in " + Duration.ofNanos(left) + "]"
                : "Deadline[expired " + Duration.ofNanos(-left) + " ago]";
    }
}
