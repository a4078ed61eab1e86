package dev.ballast.proxy.config;

import dev.ballast.core.config.Percentages;
import java.util.List;
import java.util.Optional;

/** Reads {@code access_log}: {@code { enabled, path, sample }}. */
final class AccessLogReader {

    private static final List<String> KEYS = List.of("enabled", "path", "sample");
    private static final String SAMPLE_EXPECTED = "a share of requests from 0 to 1, like 0.1, or a percentage like 10%";

    private AccessLogReader() {
    }

    static AccessLogConfig read(Section top) {
        Optional<Section> maybeLog = top.get("access_log").flatMap(value -> value.section(KEYS));
        if (maybeLog.isEmpty()) {
            return AccessLogConfig.off();
        }
        Section log = maybeLog.get();
        boolean enabled = log.get("enabled").flatMap(Value::bool).orElse(true);
        String path = log.get("path").flatMap(value -> value.word("stdout or a file path")).orElse(AccessLogConfig.STDOUT);
        double sample = log.get("sample").flatMap(AccessLogReader::sample).orElse(1.0);
        return new AccessLogConfig(enabled, path, sample);
    }

    private static Optional<Double> sample(Value value) {
        return value.word(SAMPLE_EXPECTED).flatMap(text -> {
            double share;
            try {
                share = text.endsWith("%") ? Percentages.parseFraction(text) : Double.parseDouble(text);
            } catch (IllegalArgumentException e) {
                value.error("'" + text + "' is not a share of requests (expected: " + SAMPLE_EXPECTED + ")");
                return Optional.empty();
            }
            if (!(share >= 0 && share <= 1)) {
                value.error(text + " out of range (expected: " + SAMPLE_EXPECTED + ")");
                return Optional.empty();
            }
            return Optional.of(share);
        });
    }
}
