package dev.ballast.client.internal;

import dev.ballast.core.time.Ticker;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Recent attempt latencies of one service, for hedging at a percentile. A log-linear histogram
 * (four buckets per power of two; a percentile reads as its bucket's upper bound, at most 25% high) over two rolling
 * intervals: the one being filled and the one before it, so an estimate always covers at least
 * one full interval (the double buffer of HdrHistogram's {@code Recorder}, without its phaser: a
 * few samples landing in a retired interval do not matter here).
 *
 * <p>{@link #record} is lock-free and allocation-free except once per interval.
 */
final class LatencyWindow {

    private static final int SUB_BUCKETS = 4;
    private static final int MIN_POWER = 10; // 1 µs: below is noise for a network call
    private static final int MAX_POWER = 40; // ~18 min
    /** One bucket below {@code MIN_POWER}, four per power of two, one overflow bucket. */
    private static final int BUCKETS = (MAX_POWER - MIN_POWER) * SUB_BUCKETS + 2;

    private final Ticker ticker;
    private final long intervalNanos;
    private final AtomicReference<Intervals> intervals;

    LatencyWindow(Ticker ticker, long intervalNanos) {
        this.ticker = ticker;
        this.intervalNanos = intervalNanos;
        this.intervals = new AtomicReference<>(new Intervals(new AtomicLongArray(BUCKETS),
                new AtomicLongArray(BUCKETS), ticker.nanos() + intervalNanos));
    }

    void record(long latencyNanos) {
        current().counts.incrementAndGet(bucket(latencyNanos));
    }

    /**
     * The {@code quantile} (0..1) of the latencies of the current and previous interval, or
     * {@code fallbackNanos} when they hold fewer than {@code minSamples}.
     */
    long percentileNanos(double quantile, int minSamples, long fallbackNanos) {
        Intervals now = current();
        long total = 0;
        for (int i = 0; i < BUCKETS; i++) {
            total += now.counts.get(i) + now.previous.get(i);
        }
        if (total < minSamples) {
            return fallbackNanos;
        }
        long rank = (long) Math.ceil(quantile * total);
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += now.counts.get(i) + now.previous.get(i);
            if (seen >= rank) {
                return upperBound(i);
            }
        }
        return upperBound(BUCKETS - 1);
    }

    private Intervals current() {
        Intervals now = intervals.get();
        long time = ticker.nanos();
        while (time - now.endsAt >= 0) {
            long endsAt = time - now.endsAt >= intervalNanos ? time + intervalNanos : now.endsAt + intervalNanos;
            AtomicLongArray previous = time - now.endsAt >= intervalNanos ? new AtomicLongArray(BUCKETS) : now.counts;
            Intervals next = new Intervals(new AtomicLongArray(BUCKETS), previous, endsAt);
            now = intervals.compareAndSet(now, next) ? next : intervals.get();
        }
        return now;
    }

    static int bucket(long nanos) {
        if (nanos < (1L << MIN_POWER)) {
            return 0;
        }
        int power = 63 - Long.numberOfLeadingZeros(nanos);
        if (power >= MAX_POWER) {
            return BUCKETS - 1;
        }
        int sub = (int) (nanos >>> (power - 2)) & (SUB_BUCKETS - 1); // the two bits after the leading one
        return 1 + (power - MIN_POWER) * SUB_BUCKETS + sub;
    }

    /** The largest latency bucket {@code bucket} holds (exclusive). */
    static long upperBound(int bucket) {
        if (bucket == 0) {
            return 1L << MIN_POWER;
        }
        if (bucket >= BUCKETS - 1) {
            return 1L << MAX_POWER;
        }
        int power = (bucket - 1) / SUB_BUCKETS + MIN_POWER;
        int sub = (bucket - 1) % SUB_BUCKETS;
        return (1L << power) + (sub + 1L) * (1L << (power - 2));
    }

    private record Intervals(AtomicLongArray counts, AtomicLongArray previous, long endsAt) {
    }
}
