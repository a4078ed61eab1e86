package dev.ballast.proxy.metrics;

import io.netty.util.concurrent.DefaultThreadFactory;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class RequestSeriesTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void theSumOfLongLivedRequestsKeepsGrowingPastWhatALongOfNanosecondsHolds() {
        RequestSeries series = new RequestSeries("r", "u");

        for (int i = 0; i < 3; i++) {
            series.observe(101, Long.MAX_VALUE / 2); // a tunnel open for 146 years, three times
        }

        assertThat(series.sumSeconds()).isCloseTo(1.5 * Long.MAX_VALUE / 1e9, org.assertj.core.data.Offset.offset(1.0));
    }

    @Test
    void aDurationOnABoundCountsInThatBucketAndOneAboveInTheNext() {
        RequestSeries series = new RequestSeries("r", "u");

        series.observe(200, MS / 2);      // exactly 0.5 ms: le="0.0005"
        series.observe(200, MS / 2 + 1);  // just above: le="0.001"
        series.observe(200, 61_000 * MS); // above every bound: +Inf

        long[] buckets = series.bucketCounts();
        assertThat(buckets[0]).isEqualTo(1);
        assertThat(buckets[1]).isEqualTo(1);
        assertThat(buckets[buckets.length - 1]).isEqualTo(1);
        assertThat(series.sumSeconds()).isCloseTo(61.001, org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void stripesOfManyThreadsAddUpExactly() throws InterruptedException {
        RequestSeries series = new RequestSeries("r", "u");
        int threads = 4;
        int perThread = 50_000;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        // Netty's thread factory makes FastThreadLocalThreads, as event loops are.
        DefaultThreadFactory factory = new DefaultThreadFactory("series-test");
        for (int t = 0; t < threads; t++) {
            int code = 200 + t;
            Thread worker = factory.newThread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                for (int i = 0; i < perThread; i++) {
                    series.observe(code, MS);
                }
            });
            worker.start();
            workers.add(worker);
        }
        start.countDown();
        for (Thread worker : workers) {
            worker.join(TimeUnit.SECONDS.toMillis(30));
        }

        long[] codes = series.codeCounts();
        for (int t = 0; t < threads; t++) {
            assertThat(codes[200 + t]).isEqualTo(perThread);
        }
        assertThat(java.util.Arrays.stream(series.bucketCounts()).sum()).isEqualTo((long) threads * perThread);
        assertThat(series.sumSeconds()).isCloseTo(threads * perThread * 0.001, org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void aRebuiltRouteKeepsCountingUnderTheSameLabelsAndARemovedOneIsForgotten() {
        SeriesFamily family = new SeriesFamily("t_requests", "help", "t_duration_seconds", "help", "route", "upstream");
        family.series("a", "api").observe(200, MS);
        family.series("b", "api").observe(503, MS);

        family.series("a", "api").observe(200, MS); // the same labels after a reload: the same series
        family.retain(Set.of(List.of("a", "api")));

        CounterSnapshot counts = family.counterSnapshot();
        assertThat(counts.getDataPoints()).singleElement().satisfies(point -> {
            assertThat(point.getValue()).isEqualTo(2);
            assertThat(point.getLabels().get("code")).isEqualTo("200");
        });
        HistogramSnapshot durations = family.histogramSnapshot();
        assertThat(durations.getDataPoints()).singleElement()
                .satisfies(point -> assertThat(point.getCount()).isEqualTo(2));
    }
}
