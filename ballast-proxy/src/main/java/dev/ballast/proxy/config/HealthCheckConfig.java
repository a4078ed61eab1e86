package dev.ballast.proxy.config;

import dev.ballast.core.config.StatusCodes;
import dev.ballast.core.health.HealthCheckSettings;

import java.util.Objects;

/**
 * {@code upstreams.NAME.health_check}: active checks of every endpoint, off the request path.
 *
 * @param type           {@code type}: {@code http} (a {@code GET path}) or {@code tcp} (a connection opens)
 * @param path           {@code path}: what an HTTP check asks for, starting with {@code /}; null for TCP
 * @param expectedStatus {@code expected_status}: the statuses an HTTP check passes on (default 200-399)
 * @param settings       {@code interval}, {@code timeout}, {@code unhealthy_threshold}, {@code
 *                       healthy_threshold}, {@code initial_delay}, {@code jitter}
 */
public record HealthCheckConfig(Type type, String path, StatusCodes expectedStatus, HealthCheckSettings settings) {

    /** What one check does. */
    public enum Type {
        HTTP, TCP
    }

    public HealthCheckConfig {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(expectedStatus, "expectedStatus");
        Objects.requireNonNull(settings, "settings");
        if (type == Type.HTTP && (path == null || !path.startsWith("/"))) {
            throw new IllegalArgumentException("path: '" + path + "' (expected: a path starting with /)");
        }
    }

    /** {@code GET path} expecting 200-399, with the timing: every 2s, 1s timeout, 3 down, 2 up. */
    public static HealthCheckConfig http(String path) {
        return new HealthCheckConfig(Type.HTTP, path, StatusCodes.successOrRedirect(), HealthCheckSettings.defaults());
    }

    /** A TCP connect check with the default timing. */
    public static HealthCheckConfig tcp() {
        return new HealthCheckConfig(Type.TCP, null, StatusCodes.successOrRedirect(), HealthCheckSettings.defaults());
    }

    public HealthCheckConfig withSettings(HealthCheckSettings newSettings) {
        return new HealthCheckConfig(type, path, expectedStatus, newSettings);
    }

    public HealthCheckConfig withExpectedStatus(StatusCodes codes) {
        return new HealthCheckConfig(type, path, codes, settings);
    }
}
