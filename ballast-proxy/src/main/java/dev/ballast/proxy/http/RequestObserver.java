package dev.ballast.proxy.http;

/**
 * Told once about every request the proxy answered or gave up on: metrics and the access log.
 * Called on the client's event loop right after the response was written: must be quick, must not
 * block, and must not keep the record (it is reused for the connection's next request).
 */
@FunctionalInterface
public interface RequestObserver {

    void completed(RequestRecord request);

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
        return request -> {
            first.completed(request);
            second.completed(request);
        };
    }
}
