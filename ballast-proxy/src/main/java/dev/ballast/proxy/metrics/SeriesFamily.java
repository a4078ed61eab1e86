package dev.ballast.proxy.metrics;

import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.Exemplars;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.Unit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A request counter (by two labels and the status code) and a duration histogram (by the same two
 * labels), kept as {@link RequestSeries} and exported as the Prometheus counter and histogram they
 * stand for. A series is found by its label values, so a route or endpoint rebuilt by a reload keeps
 * counting where it was.
 */
final class SeriesFamily {

    private final MetricMetadata counter;
    private final MetricMetadata histogram;
    private final String firstLabel;
    private final String secondLabel;
    private final Map<List<String>, RequestSeries> byLabels = new ConcurrentHashMap<>();

    /**
     * @param counterName   without {@code _total}, which the exposition adds
     * @param histogramName in seconds
     */
    SeriesFamily(String counterName, String counterHelp, String histogramName, String histogramHelp,
                 String firstLabel, String secondLabel) {
        this.counter = new MetricMetadata(counterName, counterHelp);
        this.histogram = new MetricMetadata(histogramName, histogramHelp, Unit.SECONDS);
        this.firstLabel = firstLabel;
        this.secondLabel = secondLabel;
    }

    RequestSeries series(String first, String second) {
        return byLabels.computeIfAbsent(List.of(first, second), k -> new RequestSeries(first, second));
    }

    /** Forgets {@code series} if it is still the one of {@code labels}. */
    void forget(List<String> labels, RequestSeries series) {
        byLabels.remove(labels, series);
    }

    /** Forgets every series whose label pair is not in {@code live}. */
    void retain(Set<List<String>> live) {
        byLabels.keySet().retainAll(live);
    }

    /** One point per code seen, as the Prometheus counter would have. */
    CounterSnapshot counterSnapshot() {
        List<CounterSnapshot.CounterDataPointSnapshot> points = new ArrayList<>();
        for (RequestSeries series : byLabels.values()) {
            long[] codes = series.codeCounts();
            for (int code = 0; code < codes.length; code++) {
                if (codes[code] > 0) {
                    Labels labels = Labels.of(firstLabel, series.first, secondLabel, series.second,
                            "code", Integer.toString(code));
                    points.add(new CounterSnapshot.CounterDataPointSnapshot(codes[code], labels, null, 0));
                }
            }
        }
        return new CounterSnapshot(counter, points);
    }

    /** One point per series, from its first request on. */
    HistogramSnapshot histogramSnapshot() {
        double[] bounds = ProxyMetrics.durationBuckets();
        List<HistogramSnapshot.HistogramDataPointSnapshot> points = new ArrayList<>();
        for (RequestSeries series : byLabels.values()) {
            Labels labels = Labels.of(firstLabel, series.first, secondLabel, series.second);
            points.add(new HistogramSnapshot.HistogramDataPointSnapshot(
                    ClassicHistogramBuckets.of(bounds, series.bucketCounts()), series.sumSeconds(), labels,
                    Exemplars.EMPTY, 0));
        }
        return new HistogramSnapshot(histogram, points);
    }
}
