package dev.ballast.proxy.config;

import dev.ballast.core.config.HostPort;

/**
 * {@code admin}: the admin listener (metrics, status, reload). Default {@code 127.0.0.1:9901}.
 *
 * @param address {@code address}
 * @param token   {@code token}: bearer token required on every admin call; null when not set (only
 *                allowed on a loopback address)
 */
public record AdminConfig(HostPort address, String token) {
}
