package dev.ballast.proxy.metrics;

import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Cumulative traffic of one upstream or endpoint since it was first seen: requests, server errors
 * (5xx) and the request count per duration bucket ({@link ProxyMetrics#durationBuckets()}, not
 * cumulative). The dashboard turns two of these a second apart into rates and percentiles.
 */
public record TrafficTotals(long requests, long errors, long[] buckets) {

    /** The totals of all of {@code parts} together. */
    public static TrafficTotals sum(Collection<TrafficTotals> parts) {
        long[] buckets = new long[ProxyMetrics.DURATION_BUCKETS.length + 1];
        long requests = 0;
        long errors = 0;
        for (TrafficTotals part : parts) {
            requests += part.requests;
            errors += part.errors;
            for (int i = 0; i < buckets.length && i < part.buckets.length; i++) {
                buckets[i] += part.buckets[i];
            }
        }
        return new TrafficTotals(requests, errors, buckets);
    }

    static Map<String, TrafficTotals> sumBy(HistogramSnapshot durations, CounterSnapshot counts, String label) {
        Map<String, Builder> builders = new LinkedHashMap<>();
        for (HistogramSnapshot.HistogramDataPointSnapshot point : durations.getDataPoints()) {
            builders.computeIfAbsent(point.getLabels().get(label), k -> new Builder()).add(point);
        }
        for (CounterSnapshot.CounterDataPointSnapshot point : counts.getDataPoints()) {
            Builder builder = builders.get(point.getLabels().get(label));
            if (builder != null) {
                builder.addErrors(point);
            }
        }
        Map<String, TrafficTotals> totals = new LinkedHashMap<>();
        builders.forEach((key, builder) -> totals.put(key, builder.build()));
        return totals;
    }

    static Map<String, Map<String, TrafficTotals>> sumByPair(HistogramSnapshot durations, CounterSnapshot counts,
                                                            String outer, String inner) {
        Map<String, Map<String, Builder>> builders = new LinkedHashMap<>();
        for (HistogramSnapshot.HistogramDataPointSnapshot point : durations.getDataPoints()) {
            Labels labels = point.getLabels();
            builders.computeIfAbsent(labels.get(outer), k -> new LinkedHashMap<>())
                    .computeIfAbsent(labels.get(inner), k -> new Builder()).add(point);
        }
        for (CounterSnapshot.CounterDataPointSnapshot point : counts.getDataPoints()) {
            Labels labels = point.getLabels();
            Map<String, Builder> byInner = builders.get(labels.get(outer));
            Builder builder = byInner == null ? null : byInner.get(labels.get(inner));
            if (builder != null) {
                builder.addErrors(point);
            }
        }
        Map<String, Map<String, TrafficTotals>> totals = new LinkedHashMap<>();
        builders.forEach((key, byInner) -> {
            Map<String, TrafficTotals> inners = new LinkedHashMap<>();
            byInner.forEach((innerKey, builder) -> inners.put(innerKey, builder.build()));
            totals.put(key, inners);
        });
        return totals;
    }

    private static final class Builder {
        private final long[] buckets = new long[ProxyMetrics.DURATION_BUCKETS.length + 1];
        private long requests;
        private long errors;

        void add(HistogramSnapshot.HistogramDataPointSnapshot point) {
            ClassicHistogramBuckets classic = point.getClassicBuckets();
            for (int i = 0; i < classic.size() && i < buckets.length; i++) {
                buckets[i] += classic.getCount(i);
                requests += classic.getCount(i);
            }
        }

        void addErrors(CounterSnapshot.CounterDataPointSnapshot point) {
            String code = point.getLabels().get("code");
            if (code != null && code.length() == 3 && code.charAt(0) == '5') {
                errors += (long) point.getValue();
            }
        }

        TrafficTotals build() {
            return new TrafficTotals(requests, errors, buckets);
        }
    }
}
