package dev.ballast.proxy.config;

/**
 * {@code upstreams.NAME.pool}: keep-alive connections to each endpoint.
 *
 * @param maxConnectionsPerEndpoint {@code max_connections_per_endpoint} (default 1024)
 * @param maxIdlePerEndpoint        {@code max_idle_per_endpoint} (default 64)
 */
public record PoolConfig(int maxConnectionsPerEndpoint, int maxIdlePerEndpoint) {

    public static PoolConfig defaults() {
        return new PoolConfig(1024, 64);
    }
}
