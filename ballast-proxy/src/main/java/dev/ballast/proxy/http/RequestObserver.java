package dev.ballast.proxy.http;

import dev.ballast.core.state.EndpointState;
import dev.ballast.proxy.upstream.Upstream;

/**
 * Told once about every request the proxy answered or gave up on, and every mirrored copy that
 * reached an endpoint: metrics and the access log.
 * Called on the client's event loop right after the response was written: must be quick, must not
 * block, and must not keep the record (it is reused for the connection's next request).
 */
@FunctionalInterface
public interface RequestObserver {

    void completed(RequestRecord request);

    /**
     * A mirrored copy of a request that reached {@code endpoint} of {@code upstream} ended: answered with
     * {@code status}, or 502 when it failed and 504 when it timed out, {@code nanos} after its endpoint
     * was picked. Called on an event loop, like {@link #completed}.
     */
    default void mirrored(Upstream upstream, EndpointState endpoint, int status, long nanos) {
    }

    /** Observes nothing. */
    RequestObserver NONE = request -> { };

    /** Tells {@code first}, then {@code second}. */
    static RequestObserver both(RequestObserver first, RequestObserver second) {
        if (first == NONE) {
            return second;
        }
        if (second == NONE) {
            return first;
        }
        return new RequestObserver() {
            @Override
            public void completed(RequestRecord request) {
                first.completed(request);
                second.completed(request);
            }

            @Override
            public void mirrored(Upstream upstream, EndpointState endpoint, int status, long nanos) {
                first.mirrored(upstream, endpoint, status, nanos);
                second.mirrored(upstream, endpoint, status, nanos);
            }
        };
    }
}
