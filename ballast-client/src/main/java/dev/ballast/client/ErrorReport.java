package dev.ballast.client;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Failures grouped by (service, error type), each group with its count, the first and last time
 * it happened and one example: 500 identical timeouts are one line, not 500.
 */
public final class ErrorReport {

    private final List<Line> lines;

    private ErrorReport(List<Line> lines) {
        this.lines = List.copyOf(lines);
    }

    /** An empty report. */
    public static ErrorReport empty() {
        return new ErrorReport(List.of());
    }

    /** A thread-safe collector of failures, stamping them with {@code clock}. */
    public static Collector collector(Clock clock) {
        return new Collector(clock);
    }

    /** The groups, largest first. */
    public List<Line> lines() {
        return lines;
    }

    /** Failures over all groups. */
    public long total() {
        return lines.stream().mapToLong(Line::count).sum();
    }

    public boolean isEmpty() {
        return lines.isEmpty();
    }

    /** One line per group. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        for (Line line : lines) {
            text.append(text.isEmpty() ? "" : "\n").append(line);
        }
        return text.toString();
    }

    /**
     * One group of failures.
     *
     * @param service   the service called
     * @param errorType a {@link CallException.Kind} name, or {@code HTTP 503} for a status, or an exception class
     * @param example   the message of the first failure of the group
     */
    public record Line(String service, String errorType, long count, Instant first, Instant last, String example) {

        @Override
        public String toString() {
            return service + " " + errorType + " x" + count + " (first " + first + ", last " + last + "): " + example;
        }
    }

    /** Gathers failures from any thread; {@link #report()} takes a snapshot. */
    public static final class Collector {

        private final Clock clock;
        private final Map<Key, Line> groups = new ConcurrentHashMap<>();

        private Collector(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
        }

        public void add(String service, String errorType, String example) {
            Instant now = clock.instant();
            groups.merge(new Key(service, errorType), new Line(service, errorType, 1, now, now, example),
                    (old, one) -> new Line(service, errorType, old.count() + 1,
                            old.first().isBefore(now) ? old.first() : now,
                            old.last().isAfter(now) ? old.last() : now, old.example()));
        }

        /** A failed call. */
        public void add(CallException failure) {
            add(failure.service(), failure.kind().name(), failure.getMessage());
        }

        public ErrorReport report() {
            List<Line> lines = new ArrayList<>(groups.values());
            lines.sort(Comparator.comparingLong(Line::count).reversed().thenComparing(Line::first));
            return new ErrorReport(lines);
        }

        private record Key(String service, String errorType) {
        }
    }
}
