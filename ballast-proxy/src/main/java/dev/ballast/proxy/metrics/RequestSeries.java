package dev.ballast.proxy.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The label children of one route (or one endpoint): a counter per status code and a duration
 * histogram, resolved once, so that recording a request is array reads and two increments rather
 * than a label lookup that builds strings. Children by code are created on first use: a route sees
 * a handful of codes, and only the hundreds it sees get an array.
 */
final class RequestSeries {

    private final Counter counter;
    private final String first;
    private final String second;
    private final DistributionDataPoint duration;
    /** Children by status code: [code / 100][code % 100]. */
    private final AtomicReferenceArray<AtomicReferenceArray<CounterDataPoint>> byCode = new AtomicReferenceArray<>(10);

    /**
     * @param counter   labelled ({@code first}, {@code second}, code)
     * @param histogram labelled ({@code first}, {@code second})
     */
    RequestSeries(Counter counter, Histogram histogram, String first, String second) {
        this.counter = counter;
        this.first = first;
        this.second = second;
        this.duration = histogram.labelValues(first, second);
    }

    void observe(int status, double seconds) {
        child(status).inc();
        duration.observe(seconds);
    }

    private CounterDataPoint child(int status) {
        int code = status >= 0 && status <= 999 ? status : 0;
        AtomicReferenceArray<CounterDataPoint> hundred = byCode.get(code / 100);
        if (hundred == null) {
            byCode.compareAndSet(code / 100, null, new AtomicReferenceArray<>(100));
            hundred = byCode.get(code / 100);
        }
        CounterDataPoint child = hundred.get(code % 100);
        if (child == null) {
            // Racing threads get the same child: the library keeps one per label set.
            child = counter.labelValues(first, second, Integer.toString(code));
            hundred.set(code % 100, child);
        }
        return child;
    }
}
