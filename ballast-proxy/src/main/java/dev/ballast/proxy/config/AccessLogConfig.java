package dev.ballast.proxy.config;

import java.util.Objects;

/**
 * {@code access_log}: one JSON line per request. Off unless configured.
 *
 * @param enabled {@code enabled}: default true once the section is there
 * @param path    {@code path}: {@value #STDOUT} (default) or a file to append to
 * @param sample  {@code sample}: the share of requests logged, 0..1 (default 1: every request)
 */
public record AccessLogConfig(boolean enabled, String path, double sample) {

    public static final String STDOUT = "stdout";

    public AccessLogConfig {
        Objects.requireNonNull(path, "path");
        if (!(sample >= 0 && sample <= 1)) {
            throw new IllegalArgumentException("sample: " + sample + " (expected: 0..1)");
        }
    }

    /** No access log: the default. */
    public static AccessLogConfig off() {
        return new AccessLogConfig(false, STDOUT, 1.0);
    }

    public boolean toStdout() {
        return path.equals(STDOUT);
    }
}
