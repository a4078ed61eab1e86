package dev.ballast.proxy.upstream;

import dev.ballast.core.resilience.CircuitBreaker;

/**
 * Receives the outcome of {@link ConnectionPool#acquire}. Implemented by the caller's per-request
 * object so that acquiring allocates nothing. Called on the pool's event loop, possibly before
 * {@code acquire} returns.
 */
public interface ConnectCallback {

    /** A connection is ready and exclusively the caller's until it is given back with {@link ConnectionPool#release}. */
    void connected(UpstreamConnection connection);

    /** Connecting failed (refused, reset, timed out, unresolvable): safe to try another endpoint. */
    void connectFailed(Throwable cause);

    /** The endpoint already has {@code max_connections_per_endpoint} open connections. */
    void connectionLimitReached(int limit);

    /**
     * A new connection was needed but the upstream's {@code circuit_breaker} is at {@code limit}
     * ({@code max_connections} or {@code max_pending_requests}); {@link Upstream#breaker()} describes it.
     */
    void circuitBreakerOpen(CircuitBreaker.Admission limit);

    /**
     * False once the caller no longer needs the connection (its client left): a connect that was
     * waiting for room under a limit is then not made.
     */
    default boolean stillWanted() {
        return true;
    }
}
