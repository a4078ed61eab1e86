package dev.ballast.proxy.testing;

import dev.ballast.core.config.HostPort;
import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.proxy.config.AdminConfig;
import dev.ballast.proxy.config.HashKey;
import dev.ballast.proxy.config.LimitsConfig;
import dev.ballast.proxy.config.ListenerConfig;
import dev.ballast.proxy.config.MatchConfig;
import dev.ballast.proxy.config.PoolConfig;
import dev.ballast.proxy.config.ProxyConfig;
import dev.ballast.proxy.config.RouteConfig;
import dev.ballast.proxy.config.UpstreamConfig;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Builds the immutable config records for tests: one listener and admin on 127.0.0.1 port 0. */
public final class TestConfigs {

    private TestConfigs() {
    }

    public static MatchConfig matchAll() {
        return new MatchConfig(null, null, null, null, Set.of(), Map.of(), Map.of());
    }

    public static RouteConfig routeAll(String upstream) {
        return new RouteConfig(null, matchAll(), upstream);
    }

    public static Endpoint endpoint(TestBackend backend) {
        return Endpoint.of("127.0.0.1", backend.port());
    }

    public static List<Endpoint> endpoints(TestBackend... backends) {
        return java.util.Arrays.stream(backends).map(TestConfigs::endpoint).toList();
    }

    /** An upstream with the defaults of the YAML contract, but short timeouts for tests. */
    public static UpstreamConfig upstream(String name, String balancer, List<Endpoint> endpoints) {
        return new UpstreamConfig(name, balancer, null, 0, endpoints, 1_000, 5_000, 60_000,
                PoolConfig.defaults(), UpstreamConfig.HOST_PRESERVE);
    }

    public static UpstreamConfig withHashKey(UpstreamConfig u, HashKey key) {
        return new UpstreamConfig(u.name(), u.balancer(), key, u.boundedLoadFactor(), u.endpoints(),
                u.connectTimeoutMillis(), u.responseTimeoutMillis(), u.idleTimeoutMillis(), u.pool(), u.hostHeader(),
                u.resilience());
    }

    public static UpstreamConfig withResponseTimeout(UpstreamConfig u, long millis) {
        return new UpstreamConfig(u.name(), u.balancer(), u.hashKey(), u.boundedLoadFactor(), u.endpoints(),
                u.connectTimeoutMillis(), millis, u.idleTimeoutMillis(), u.pool(), u.hostHeader(),
                u.resilience());
    }

    public static UpstreamConfig withConnectTimeout(UpstreamConfig u, long millis) {
        return new UpstreamConfig(u.name(), u.balancer(), u.hashKey(), u.boundedLoadFactor(), u.endpoints(),
                millis, u.responseTimeoutMillis(), u.idleTimeoutMillis(), u.pool(), u.hostHeader(),
                u.resilience());
    }

    public static UpstreamConfig withIdleTimeout(UpstreamConfig u, long millis) {
        return new UpstreamConfig(u.name(), u.balancer(), u.hashKey(), u.boundedLoadFactor(), u.endpoints(),
                u.connectTimeoutMillis(), u.responseTimeoutMillis(), millis, u.pool(), u.hostHeader(),
                u.resilience());
    }

    public static UpstreamConfig withPool(UpstreamConfig u, PoolConfig pool) {
        return new UpstreamConfig(u.name(), u.balancer(), u.hashKey(), u.boundedLoadFactor(), u.endpoints(),
                u.connectTimeoutMillis(), u.responseTimeoutMillis(), u.idleTimeoutMillis(), pool, u.hostHeader(),
                u.resilience());
    }

    public static UpstreamConfig withHostHeader(UpstreamConfig u, String hostHeader) {
        return new UpstreamConfig(u.name(), u.balancer(), u.hashKey(), u.boundedLoadFactor(), u.endpoints(),
                u.connectTimeoutMillis(), u.responseTimeoutMillis(), u.idleTimeoutMillis(), u.pool(), hostHeader,
                u.resilience());
    }

    public static ProxyConfig proxy(UpstreamConfig upstream) {
        return proxy(List.of(upstream), List.of(routeAll(upstream.name())), LimitsConfig.defaults());
    }

    public static ProxyConfig proxy(UpstreamConfig upstream, LimitsConfig limits) {
        return proxy(List.of(upstream), List.of(routeAll(upstream.name())), limits);
    }

    /** {@code config} with {@code count} event loops instead of one per core. */
    public static ProxyConfig withEventLoops(ProxyConfig config, int count) {
        return new ProxyConfig(config.listeners(), config.admin(), config.upstreams(), config.routes(), config.limits(),
                config.drainTimeoutMillis(), config.accessLog(), config.transport(), count);
    }

    public static ProxyConfig proxy(List<UpstreamConfig> upstreams, List<RouteConfig> routes, LimitsConfig limits) {
        Map<String, UpstreamConfig> byName = new LinkedHashMap<>();
        upstreams.forEach(u -> byName.put(u.name(), u));
        return new ProxyConfig(List.of(new ListenerConfig("test", new HostPort("127.0.0.1", 0))),
                new AdminConfig(new HostPort("127.0.0.1", 0), null), byName, routes, limits, 5_000);
    }
}
