package dev.ballast.proxy.config;

import dev.ballast.core.resilience.CircuitBreaker;

/**
 * {@code upstreams.NAME.circuit_breaker}: what the whole upstream may have outstanding at once; past a
 * limit a request gets 503 naming it. Each limit is at least 1 (default 1024, Envoy's).
 *
 * @param maxConnections     {@code max_connections}: connections open to all its endpoints, busy or idle
 * @param maxPendingRequests {@code max_pending_requests}: requests waiting for a new connection to open
 * @param maxRequests        {@code max_requests}: requests in flight, retries included
 */
public record CircuitBreakerConfig(int maxConnections, int maxPendingRequests, int maxRequests) {

    public static CircuitBreakerConfig defaults() {
        int d = CircuitBreaker.DEFAULT_LIMIT;
        return new CircuitBreakerConfig(d, d, d);
    }

    /** A new breaker with these limits (one per upstream: it counts). */
    public CircuitBreaker newBreaker() {
        return CircuitBreaker.of(maxConnections, maxPendingRequests, maxRequests);
    }
}
