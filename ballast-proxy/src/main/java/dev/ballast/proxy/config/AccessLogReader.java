package dev.ballast.proxy.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Reads {@code access_log}: {@code { enabled, path, sample }}. */
final class AccessLogReader {

    private static final List<String> KEYS = List.of("enabled", "path", "sample");

    private AccessLogReader() {
    }

    static AccessLogConfig read(Section top) {
        Optional<Section> maybeLog = top.get("access_log").flatMap(value -> value.section(KEYS));
        if (maybeLog.isEmpty()) {
            return AccessLogConfig.off();
        }
        Section log = maybeLog.get();
        boolean enabled = log.get("enabled").flatMap(Value::bool).orElse(true);
        String path = log.get("path").flatMap(value -> value.path("stdout or a file path")).map(Path::toString)
                .orElse(AccessLogConfig.STDOUT);
        double sample = log.get("sample").flatMap(Value::share).orElse(1.0);
        return new AccessLogConfig(enabled, path, sample);
    }
}
