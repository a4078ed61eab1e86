package dev.ballast.proxy.metrics;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/**
 * The requests of one label pair (a route and its upstream, or an upstream and one endpoint): a count
 * per status code and a duration histogram.
 *
 * <p>Each recording thread (an event loop) writes only a {@link Stripe} of its own, with plain
 * single-writer stores: no atomic read-modify-write and no cache line that another event loop writes,
 * as Envoy keeps its stats per worker. A scrape sums the stripes. Opaque accesses keep every store
 * visible to it and never lost; a scrape racing a request may see its count before its duration,
 * which the next scrape settles. Counts never go back.
 */
final class RequestSeries {

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    /** Upper bounds of the duration buckets in nanoseconds, for a comparison without a division. */
    private static final long[] BOUND_NANOS = new long[ProxyMetrics.DURATION_BUCKETS.length];

    static {
        for (int i = 0; i < BOUND_NANOS.length; i++) {
            BOUND_NANOS[i] = Math.round(ProxyMetrics.DURATION_BUCKETS[i] * TimeUnit.SECONDS.toNanos(1));
        }
    }

    final String first;
    final String second;
    /** By {@link ThreadSlot}; replaced (copied) only when a thread records here for the first time. */
    private volatile Stripe[] stripes = new Stripe[0];

    RequestSeries(String first, String second) {
        this.first = first;
        this.second = second;
    }

    void observe(int status, long durationNanos) {
        int slot = ThreadSlot.current();
        Stripe[] current = stripes;
        Stripe stripe = slot < current.length ? current[slot] : null;
        if (stripe == null) {
            stripe = addStripe(slot);
        }
        stripe.record(status >= 0 && status <= 999 ? status : 0, durationNanos);
    }

    private synchronized Stripe addStripe(int slot) {
        Stripe[] current = stripes;
        if (slot < current.length && current[slot] != null) {
            return current[slot];
        }
        Stripe[] grown = java.util.Arrays.copyOf(current, Math.max(current.length, slot + 1));
        Stripe stripe = new Stripe();
        grown[slot] = stripe;
        stripes = grown;
        return stripe;
    }

    /** Requests per duration bucket (not cumulative; the last is above every bound), summed over the stripes. */
    long[] bucketCounts() {
        long[] counts = new long[BOUND_NANOS.length + 1];
        for (Stripe stripe : stripes) {
            if (stripe != null) {
                for (int i = 0; i < counts.length; i++) {
                    counts[i] += (long) LONGS.getOpaque(stripe.buckets, i);
                }
            }
        }
        return counts;
    }

    double sumSeconds() {
        double seconds = 0;
        for (Stripe stripe : stripes) {
            if (stripe != null) {
                seconds += Double.longBitsToDouble((long) LONGS.getOpaque(stripe.sumSeconds, 0));
            }
        }
        return seconds;
    }

    /** Requests per status code (index = code), summed over the stripes. */
    long[] codeCounts() {
        long[] counts = new long[1000];
        for (Stripe stripe : stripes) {
            if (stripe == null) {
                continue;
            }
            for (int hundred = 0; hundred < 10; hundred++) {
                long[] codes = stripe.byHundred(hundred);
                if (codes != null) {
                    for (int i = 0; i < 100; i++) {
                        counts[hundred * 100 + i] += (long) LONGS.getOpaque(codes, i);
                    }
                }
            }
        }
        return counts;
    }

    /** One thread's share. Only its owner writes; scrapes read. */
    private static final class Stripe {
        private static final VarHandle HUNDREDS = MethodHandles.arrayElementVarHandle(long[][].class);

        final long[] buckets = new long[BOUND_NANOS.length + 1];
        /**
         * The sum in seconds, as a double's bits in a one-element array, so that it takes the same opaque
         * accesses as the counts. Not nanoseconds in a long: the lifetimes of long-lived requests
         * (WebSocket tunnels, server-sent events) add up to its 292 years within weeks on a busy proxy,
         * and a sum that wraps negative reads as a counter reset.
         */
        final long[] sumSeconds = new long[1];
        /** Counts by code, [code / 100][code % 100]: a hundred gets its array when first seen. */
        private final long[][] codes = new long[10][];

        void record(int code, long nanos) {
            increment(buckets, bucketOf(nanos), 1);
            double sum = Double.longBitsToDouble((long) LONGS.getOpaque(sumSeconds, 0)) + Math.max(0, nanos) * 1e-9;
            LONGS.setOpaque(sumSeconds, 0, Double.doubleToRawLongBits(sum));
            long[] hundred = byHundred(code / 100);
            if (hundred == null) {
                hundred = new long[100];
                HUNDREDS.setRelease(codes, code / 100, hundred);
            }
            increment(hundred, code % 100, 1);
        }

        long[] byHundred(int hundred) {
            return (long[]) HUNDREDS.getAcquire(codes, hundred);
        }

        private static int bucketOf(long nanos) {
            int i = 0;
            while (i < BOUND_NANOS.length && nanos > BOUND_NANOS[i]) {
                i++;
            }
            return i;
        }

        /** Single writer: a plain read and an opaque store, no atomic instruction. */
        private static void increment(long[] array, int index, long delta) {
            LONGS.setOpaque(array, index, (long) LONGS.getOpaque(array, index) + delta);
        }
    }
}
