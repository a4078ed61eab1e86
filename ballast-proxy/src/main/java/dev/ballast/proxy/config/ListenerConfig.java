package dev.ballast.proxy.config;

import dev.ballast.core.config.HostPort;

/**
 * One entry of {@code listeners}.
 *
 * @param name    {@code name}: unique, used in metrics and logs
 * @param address {@code address}: {@code host:port} to bind
 */
public record ListenerConfig(String name, HostPort address) {
}
