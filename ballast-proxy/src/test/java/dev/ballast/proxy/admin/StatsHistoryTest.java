package dev.ballast.proxy.admin;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ballast.proxy.metrics.ProxyMetrics;
import dev.ballast.proxy.metrics.TrafficTotals;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class StatsHistoryTest {

    private static final double[] BOUNDS = {0.001, 0.01, 0.1, Double.POSITIVE_INFINITY};

    @Test
    void quantileInterpolatesInsideItsBucketLikeHistogramQuantile() {
        long[] counts = {0, 10, 10, 0};  // 10 in (1 ms, 10 ms], 10 in (10 ms, 100 ms]

        assertThat(StatsHistory.quantileMillis(counts, BOUNDS, 0.5)).isCloseTo(10, within(1e-9));
        assertThat(StatsHistory.quantileMillis(counts, BOUNDS, 0.25)).isCloseTo(5.5, within(1e-9));
        assertThat(StatsHistory.quantileMillis(counts, BOUNDS, 0.99)).isCloseTo(98.2, within(1e-9));
    }

    @Test
    void quantileOfTheOpenBucketIsItsLowerEdgeAndOfNothingIsNaN() {
        assertThat(StatsHistory.quantileMillis(new long[] {0, 0, 0, 5}, BOUNDS, 0.99)).isEqualTo(100);
        assertThat(StatsHistory.quantileMillis(new long[] {0, 0, 0, 0}, BOUNDS, 0.5)).isNaN();
        assertThat(StatsHistory.quantileMillis(new long[] {4, 0, 0, 0}, BOUNDS, 0.5)).isCloseTo(0.5, within(1e-9));
    }

    @Test
    void totalsThatGoDownStartANewBaselineInsteadOfShowingTheWholeHistoryAsOneSecond() {
        StatsHistory.Series series = new StatsHistory.Series();
        series.record(totals(1_500_000), 0, 0, BOUNDS); // the first sample: everything counted so far
        series.record(totals(1_500_100), 1, 1, BOUNDS);
        series.record(totals(1_000_050), 2, 2, BOUNDS); // a reload took a route out of the upstream's sum
        series.record(totals(1_000_150), 3, 3, BOUNDS);

        assertThat(series.requests[1]).isEqualTo(100);
        assertThat(series.requests[2]).as("not 1,000,050 in one second").isZero();
        assertThat(series.p99[2]).isNaN();
        assertThat(series.requests[3]).isEqualTo(100);
    }

    @Test
    void aSeriesIsWrittenWithNullForSecondsWithoutRequestsOrBeforeItBegan() throws Exception {
        StatsHistory.Series series = new StatsHistory.Series();
        for (int sample = 10; sample < StatsHistory.CAPACITY; sample++) { // begins at the 11th sample
            series.record(totals(100_000L * sample - (sample % 7 == 0 ? 100_000 : 0)), sample, sample, BOUNDS);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator json = new JsonFactory().createGenerator(bytes)) {
            json.writeStartObject();
            series.write(json, StatsHistory.CAPACITY, StatsHistory.CAPACITY);
            json.writeEndObject();
        }

        JsonNode written = new ObjectMapper().readTree(bytes.toByteArray());
        assertThat(written.get("requests")).hasSize(StatsHistory.CAPACITY);
        assertThat(written.get("requests").get(9).isNull()).as("before the series began").isTrue();
        assertThat(written.get("p99_ms").get(14).isNull()).as("a second without requests").isTrue();
        assertThat(written.get("requests").get(16).asLong()).isEqualTo(100_000);
        assertThat(written.get("p50_ms").get(16).asDouble()).isCloseTo(5.5, within(1e-9));
    }

    @Test
    void ticksATimerRunsBackToBackAfterAStallAreNotTakenAsSecondsWithoutTraffic() throws Exception {
        ProxyMetrics metrics = new ProxyMetrics(Map::of, List::of, () -> 0, Set::of, null, () -> null, () -> "0");
        StatsHistory history = new StatsHistory(metrics);

        history.sample(1_000);
        history.sample(4_000); // the admin loop was held up for three seconds
        history.sample(4_001); // the two ticks it missed, at once
        history.sample(4_002);
        history.sample(5_000);

        JsonNode times = new ObjectMapper().readTree(history.json()).get("times");
        assertThat(times).extracting(JsonNode::asLong).containsExactly(1_000L, 4_000L, 5_000L);
    }

    /** {@code requests} answered, all between 1 and 10 ms. */
    private static TrafficTotals totals(long requests) {
        return new TrafficTotals(requests, 0, new long[] {0, requests, 0, 0});
    }
}
