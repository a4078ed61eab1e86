package dev.ballast.proxy.config;

import dev.ballast.core.config.HostHeaders;
import dev.ballast.core.endpoint.Endpoint;

import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * One entry of {@code upstreams}.
 *
 * @param name                  the key under {@code upstreams}
 * @param balancer              {@code balancer}: a core balancer id (default {@code round-robin})
 * @param hashKey               {@code hash_key}: for ring-hash and maglev; null for none (keyless
 *                              requests are spread at random)
 * @param boundedLoadFactor     {@code bounded_load}: c of consistent hashing with bounded loads for
 *                              ring-hash/maglev; 0 = off (default)
 * @param endpoints             {@code endpoints}: {@code host:port} shorthand or
 *                              {@code {address, weight, zone, metadata}}
 * @param connectTimeoutMillis  {@code connect_timeout} (default 1s)
 * @param responseTimeoutMillis {@code response_timeout} (default 15s): until the response header arrives
 * @param idleTimeoutMillis     {@code idle_timeout} (default 60s): idle pooled connections closed after this
 * @param pool                  {@code pool}
 * @param hostHeader            {@code host_header}: {@code preserve} (default: the client's Host),
 *                              {@code endpoint} (the endpoint's host:port) or a literal value
 * @param resilience            {@code health_check}, {@code outlier_detection}, {@code retries},
 *                              {@code circuit_breaker}, {@code slow_start}, {@code panic_threshold}
 * @param dnsRefreshMillis      {@code dns_refresh} (default 30s): how often endpoints given by host name
 *                              are looked up again; 0 = only once, at start or reload
 * @param resolveAll            the {@link Endpoint#address() addresses} of the endpoints marked
 *                              {@code resolve: all}: each address their name resolves to is an endpoint
 *                              of its own (the rest use one address of their name)
 * @param discovery             {@code discovery}: where more endpoints come from (etcd), or null for
 *                              only {@code endpoints}
 */
public record UpstreamConfig(
        String name,
        String balancer,
        HashKey hashKey,
        double boundedLoadFactor,
        List<Endpoint> endpoints,
        long connectTimeoutMillis,
        long responseTimeoutMillis,
        long idleTimeoutMillis,
        PoolConfig pool,
        String hostHeader,
        ResilienceConfig resilience,
        long dnsRefreshMillis,
        Set<String> resolveAll,
        EtcdDiscoveryConfig discovery) {

    public static final String HOST_PRESERVE = HostHeaders.PRESERVE;
    public static final String HOST_ENDPOINT = HostHeaders.ENDPOINT;
    public static final long DEFAULT_DNS_REFRESH_MILLIS = 30_000;
    /** The metadata label naming the host of each endpoint made from an address of a {@code resolve: all} name. */
    public static final String DNS_NAME_LABEL = "dns_name";

    public UpstreamConfig {
        endpoints = List.copyOf(endpoints);
        Objects.requireNonNull(resilience, "resilience");
        resolveAll = Collections.unmodifiableSortedSet(new TreeSet<>(resolveAll)); // sorted: GET /config is stable
    }

    /** An upstream with only the endpoints of its configuration. */
    public UpstreamConfig(String name, String balancer, HashKey hashKey, double boundedLoadFactor,
                          List<Endpoint> endpoints, long connectTimeoutMillis, long responseTimeoutMillis,
                          long idleTimeoutMillis, PoolConfig pool, String hostHeader, ResilienceConfig resilience,
                          long dnsRefreshMillis, Set<String> resolveAll) {
        this(name, balancer, hashKey, boundedLoadFactor, endpoints, connectTimeoutMillis, responseTimeoutMillis,
                idleTimeoutMillis, pool, hostHeader, resilience, dnsRefreshMillis, resolveAll, null);
    }

    /** An upstream whose endpoints each use one address of their name. */
    public UpstreamConfig(String name, String balancer, HashKey hashKey, double boundedLoadFactor,
                          List<Endpoint> endpoints, long connectTimeoutMillis, long responseTimeoutMillis,
                          long idleTimeoutMillis, PoolConfig pool, String hostHeader, ResilienceConfig resilience,
                          long dnsRefreshMillis) {
        this(name, balancer, hashKey, boundedLoadFactor, endpoints, connectTimeoutMillis, responseTimeoutMillis,
                idleTimeoutMillis, pool, hostHeader, resilience, dnsRefreshMillis, Set.of());
    }

    /** An upstream with the default {@link ResilienceConfig#defaults() resilience settings}. */
    public UpstreamConfig(String name, String balancer, HashKey hashKey, double boundedLoadFactor,
                          List<Endpoint> endpoints, long connectTimeoutMillis, long responseTimeoutMillis,
                          long idleTimeoutMillis, PoolConfig pool, String hostHeader) {
        this(name, balancer, hashKey, boundedLoadFactor, endpoints, connectTimeoutMillis, responseTimeoutMillis,
                idleTimeoutMillis, pool, hostHeader, ResilienceConfig.defaults());
    }

    /** An upstream that looks endpoint host names up again every {@value #DEFAULT_DNS_REFRESH_MILLIS} ms. */
    public UpstreamConfig(String name, String balancer, HashKey hashKey, double boundedLoadFactor,
                          List<Endpoint> endpoints, long connectTimeoutMillis, long responseTimeoutMillis,
                          long idleTimeoutMillis, PoolConfig pool, String hostHeader, ResilienceConfig resilience) {
        this(name, balancer, hashKey, boundedLoadFactor, endpoints, connectTimeoutMillis, responseTimeoutMillis,
                idleTimeoutMillis, pool, hostHeader, resilience, DEFAULT_DNS_REFRESH_MILLIS);
    }

    /**
     * This upstream with another balancer, hash key, bounded load and endpoints (with their {@code
     * resolve} marks): what a reload changes in place.
     */
    public UpstreamConfig withLiveFields(String newBalancer, HashKey newHashKey, double newBoundedLoadFactor,
                                         List<Endpoint> newEndpoints, Set<String> newResolveAll) {
        return new UpstreamConfig(name, newBalancer, newHashKey, newBoundedLoadFactor, newEndpoints, connectTimeoutMillis,
                responseTimeoutMillis, idleTimeoutMillis, pool, hostHeader, resilience, dnsRefreshMillis,
                newResolveAll, discovery);
    }

    public UpstreamConfig withResilience(ResilienceConfig newResilience) {
        return new UpstreamConfig(name, balancer, hashKey, boundedLoadFactor, endpoints, connectTimeoutMillis,
                responseTimeoutMillis, idleTimeoutMillis, pool, hostHeader, newResilience, dnsRefreshMillis,
                resolveAll, discovery);
    }

    public UpstreamConfig withDnsRefresh(long newDnsRefreshMillis) {
        return new UpstreamConfig(name, balancer, hashKey, boundedLoadFactor, endpoints, connectTimeoutMillis,
                responseTimeoutMillis, idleTimeoutMillis, pool, hostHeader, resilience, newDnsRefreshMillis,
                resolveAll, discovery);
    }

    /** This upstream with {@code addresses} (endpoint addresses) marked {@code resolve: all}. */
    public UpstreamConfig withResolveAll(Set<String> addresses) {
        return new UpstreamConfig(name, balancer, hashKey, boundedLoadFactor, endpoints, connectTimeoutMillis,
                responseTimeoutMillis, idleTimeoutMillis, pool, hostHeader, resilience, dnsRefreshMillis, addresses,
                discovery);
    }

    /** True when {@code endpoint} stands for every address its name resolves to ({@code resolve: all}). */
    public boolean resolvesAll(Endpoint endpoint) {
        return resolveAll.contains(endpoint.address());
    }
}
