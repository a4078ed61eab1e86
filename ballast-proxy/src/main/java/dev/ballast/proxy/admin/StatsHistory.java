package dev.ballast.proxy.admin;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.ballast.proxy.metrics.ProxyMetrics;
import dev.ballast.proxy.metrics.TrafficTotals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The last few minutes of traffic per upstream and endpoint, one sample a second, for the dashboard's
 * charts: requests, server errors and p50/p99 latency of each second. Samples are differences of the
 * cumulative metrics taken once a second by the admin side, so the data path does no extra work.
 *
 * <p>Not thread-safe: sampled and read on the admin listener's event loop only.
 */
final class StatsHistory {

    /** Five minutes of one-second samples. */
    static final int CAPACITY = 300;
    private static final long MIN_GAP_MILLIS = 500;
    private static final JsonFactory JSON = new JsonFactory();

    private final ProxyMetrics metrics;
    private final double[] bounds = ProxyMetrics.durationBuckets();
    private final long[] times = new long[CAPACITY];
    /** Samples taken so far; the newest is at (taken - 1) % CAPACITY. */
    private long taken;
    private final Map<String, Series> upstreams = new LinkedHashMap<>();
    private final Map<String, Map<String, Series>> endpoints = new LinkedHashMap<>();

    StatsHistory(ProxyMetrics metrics) {
        this.metrics = metrics;
    }

    /**
     * Takes one sample of everything; call once a second. A call less than half a second after the last
     * sample is skipped: a timer at a fixed rate runs the ticks an admin loop missed (a pause, a long
     * scrape) back to back, and those would show as seconds without traffic right after one that holds
     * several seconds of it.
     */
    void sample(long nowMillis) {
        if (taken > 0 && nowMillis - times[(int) ((taken - 1) % CAPACITY)] < MIN_GAP_MILLIS) {
            return;
        }
        int slot = (int) (taken % CAPACITY);
        times[slot] = nowMillis;
        Map<String, TrafficTotals> upstreamTotals = metrics.upstreamTotals();
        upstreamTotals.remove(""); // requests no route matched belong to no upstream
        Map<String, Map<String, TrafficTotals>> endpointTotals = metrics.endpointTotals();
        // An upstream that only gets a route's mirrored copies is no route's upstream: its endpoints'
        // traffic is all it has.
        endpointTotals.forEach((upstream, byEndpoint) ->
                upstreamTotals.computeIfAbsent(upstream, k -> TrafficTotals.sum(byEndpoint.values())));
        record(upstreams, upstreamTotals, slot);
        endpoints.keySet().retainAll(endpointTotals.keySet());
        endpointTotals.forEach((upstream, byEndpoint) ->
                record(endpoints.computeIfAbsent(upstream, k -> new LinkedHashMap<>()), byEndpoint, slot));
        taken++;
    }

    private void record(Map<String, Series> series, Map<String, TrafficTotals> totals, int slot) {
        series.keySet().retainAll(totals.keySet()); // gone from the metrics: gone from the charts
        totals.forEach((key, total) -> series.computeIfAbsent(key, k -> new Series()).record(total, slot, taken, bounds));
    }

    /** Server errors of an endpoint over the last {@code seconds} samples; 0 when it has none. */
    long recentErrors(String upstream, String endpoint, int seconds) {
        Map<String, Series> byEndpoint = endpoints.get(upstream);
        Series series = byEndpoint == null ? null : byEndpoint.get(endpoint);
        return series == null ? 0 : series.sumErrors(taken, Math.min(seconds, CAPACITY));
    }

    /**
     * The JSON of {@code GET /stats}: sample times and, per upstream and endpoint, one array per measure.
     * Written as it is read, compact, straight from the samples: a fleet of a thousand endpoints has
     * 1.2 million numbers here, which as boxed values in maps, pretty-printed one to a line, cost tens of
     * megabytes of garbage every time the dashboard polls (every two seconds).
     */
    byte[] json() {
        int count = (int) Math.min(taken, CAPACITY);
        int series = upstreams.size() + endpoints.values().stream().mapToInt(Map::size).sum();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 + series * count * 4 * 6);
        try (JsonGenerator json = JSON.createGenerator(bytes)) {
            json.writeStartObject();
            json.writeNumberField("interval_ms", 1000);
            json.writeArrayFieldStart("times");
            for (long i = taken - count; i < taken; i++) {
                json.writeNumber(times[(int) (i % CAPACITY)]);
            }
            json.writeEndArray();
            json.writeObjectFieldStart("upstreams");
            for (Map.Entry<String, Series> upstream : upstreams.entrySet()) {
                json.writeObjectFieldStart(upstream.getKey());
                upstream.getValue().write(json, taken, count);
                json.writeObjectFieldStart("endpoints");
                for (Map.Entry<String, Series> endpoint : endpoints.getOrDefault(upstream.getKey(), Map.of()).entrySet()) {
                    json.writeObjectFieldStart(endpoint.getKey());
                    endpoint.getValue().write(json, taken, count);
                    json.writeEndObject();
                }
                json.writeEndObject();
                json.writeEndObject();
            }
            json.writeEndObject();
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // into memory: cannot happen
        }
        return bytes.toByteArray();
    }

    /** p-quantile of a bucket distribution (interpolated inside the bucket, as PromQL's histogram_quantile), in ms. */
    static double quantileMillis(long[] counts, double[] bounds, double q) {
        long total = 0;
        for (long count : counts) {
            total += count;
        }
        if (total == 0) {
            return Double.NaN;
        }
        double rank = q * total;
        long below = 0;
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] > 0 && below + counts[i] >= rank) {
                double lower = i == 0 ? 0 : bounds[i - 1];
                if (Double.isInfinite(bounds[i])) {
                    return lower * 1000; // beyond the last bound: the best we know is its lower edge
                }
                double fraction = (rank - below) / counts[i];
                return (lower + (bounds[i] - lower) * fraction) * 1000;
            }
            below += counts[i];
        }
        return bounds[bounds.length - 2] * 1000;
    }

    /** One upstream's or endpoint's samples, aligned with the sample times. */
    static final class Series {
        final long[] requests = new long[CAPACITY];
        final long[] errors = new long[CAPACITY];
        final double[] p50 = new double[CAPACITY];
        final double[] p99 = new double[CAPACITY];
        /** The first sample this series has (earlier slots are not its own). */
        long since = -1;
        TrafficTotals last;

        void record(TrafficTotals total, int slot, long sample, double[] bounds) {
            if (since < 0) {
                since = sample;
            }
            if (last == null) {
                // A series starts at zero when its first request is counted: count everything it has.
                last = new TrafficTotals(0, 0, new long[total.buckets().length]);
            } else if (total.requests() < last.requests()) {
                // Its totals went down: a reload took a route out of an upstream's sum, or removed the
                // series and a request brought it back. Counted from zero, the whole history would show
                // as this one second: the second starts a new baseline instead, and shows nothing.
                last = total;
            }
            long[] delta = new long[total.buckets().length];
            for (int i = 0; i < delta.length; i++) {
                delta[i] = Math.max(0, total.buckets()[i] - last.buckets()[i]); // a smaller route left mid-second
            }
            requests[slot] = Math.max(0, total.requests() - last.requests());
            errors[slot] = Math.max(0, total.errors() - last.errors());
            p50[slot] = quantileMillis(delta, bounds, 0.50);
            p99[slot] = quantileMillis(delta, bounds, 0.99);
            last = total;
        }

        long sumErrors(long taken, int samples) {
            long sum = 0;
            for (long i = Math.max(taken - samples, since); i < taken; i++) {
                sum += errors[(int) (i % CAPACITY)];
            }
            return sum;
        }

        /** Its four measures as arrays aligned with the sample times; null before the series began. */
        void write(JsonGenerator json, long taken, int count) throws IOException {
            json.writeArrayFieldStart("requests");
            for (long i = taken - count; i < taken; i++) {
                writeCount(json, i, requests);
            }
            json.writeEndArray();
            json.writeArrayFieldStart("errors");
            for (long i = taken - count; i < taken; i++) {
                writeCount(json, i, errors);
            }
            json.writeEndArray();
            json.writeArrayFieldStart("p50_ms");
            for (long i = taken - count; i < taken; i++) {
                writeMillis(json, i, p50);
            }
            json.writeEndArray();
            json.writeArrayFieldStart("p99_ms");
            for (long i = taken - count; i < taken; i++) {
                writeMillis(json, i, p99);
            }
            json.writeEndArray();
        }

        private void writeCount(JsonGenerator json, long sample, long[] values) throws IOException {
            if (sample < since) {
                json.writeNull();
            } else {
                json.writeNumber(values[(int) (sample % CAPACITY)]);
            }
        }

        /** Rounded to the microsecond; null for a second without requests, or before the series began. */
        private void writeMillis(JsonGenerator json, long sample, double[] values) throws IOException {
            double millis = sample < since ? Double.NaN : values[(int) (sample % CAPACITY)];
            if (Double.isNaN(millis)) {
                json.writeNull();
            } else {
                json.writeNumber(Math.round(millis * 1000) / 1000.0);
            }
        }
    }
}
