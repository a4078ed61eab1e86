package dev.ballast.client;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

class ErrorReportTest {

    /** A clock that moves one second each time it is read. */
    private static final class SteppingClock extends Clock {

        private long seconds;

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochSecond(seconds++);
        }
    }

    @Test
    void groupsByServiceAndTypeWithCountsTimesAndTheFirstExample() {
        ErrorReport.Collector collector = ErrorReport.collector(new SteppingClock());
        for (int i = 0; i < 500; i++) {
            collector.add("search", "TIMEOUT", "attempt to shard " + i + " timed out");
        }
        collector.add("search", "HTTP 503", "shard 7 answered 503");
        collector.add("users", "TIMEOUT", "user lookup timed out");

        ErrorReport report = collector.report();

        assertThat(report.lines()).hasSize(3);
        ErrorReport.Line timeouts = report.lines().getFirst();
        assertThat(timeouts.count()).isEqualTo(500);
        assertThat(timeouts.first()).isEqualTo(Instant.ofEpochSecond(0));
        assertThat(timeouts.last()).isEqualTo(Instant.ofEpochSecond(499));
        assertThat(timeouts.example()).isEqualTo("attempt to shard 0 timed out");
        assertThat(report.total()).isEqualTo(502);
        assertThat(report.toString()).hasLineCount(3)
                .startsWith("search TIMEOUT x500 (first 1970-01-01T00:00:00Z, last 1970-01-01T00:08:19Z): "
                        + "attempt to shard 0 timed out");
    }

    @Test
    void anEmptyReportHasNoLines() {
        assertThat(ErrorReport.empty().isEmpty()).isTrue();
        assertThat(ErrorReport.empty().toString()).isEmpty();
    }
}
