package dev.ballast.client;

/**
 * Receives what metrics are made of: every attempt the client sends, every call a
 * {@linkplain dev.ballast.client.interceptor.Interceptors#metrics metrics interceptor} wraps, and
 * every change of an endpoint's standing (ejected, returned, unhealthy, healthy).
 *
 * <p>A listener SPI rather than Micrometer: the client depends only on the JDK, SLF4J and the core,
 * and a ten-line adapter maps these events onto Micrometer, Prometheus or OpenTelemetry (see
 * docs/client.md) without the client choosing a metrics library for its users.
 *
 * <p>Called synchronously on the thread that finished the attempt or call, possibly from many
 * threads at once: implementations are thread-safe, quick, and must not throw or block.
 */
public interface CallListener {

    /** Called once per attempt sent to an endpoint, when it ends. */
    default void attemptFinished(AttemptEvent event) {
    }

    /** Called once per call, by the metrics interceptor, when it ends. */
    default void callFinished(CallEvent event) {
    }

    /** Called when outlier detection or health checking changes an endpoint's standing. */
    default void endpointChanged(EndpointEvent event) {
    }

    /** Listens to nothing. */
    CallListener NONE = new CallListener() { };

    /**
     * One attempt.
     *
     * @param status  the HTTP status, or 0 when there was no response; for {@code RESPONSE_TOO_LARGE},
     *                the status of the answer whose body was refused
     * @param failure why the attempt failed (no response, or a body over {@code maxResponseBytes}), or null
     */
    record AttemptEvent(String service, String endpoint, int status, CallException.Kind failure,
                        long durationNanos) { }

    /**
     * One call, all attempts included.
     *
     * @param status  the HTTP status, or 0 when the call failed
     * @param failure why the call failed; null when it did not, or failed with another exception than
     *                a {@link CallException} (an interceptor's, or the JDK refusing the request)
     */
    record CallEvent(String service, String method, int status, CallException.Kind failure, int attempts,
                     long durationNanos) { }

    /**
     * A change of standing.
     *
     * @param from   e.g. {@code healthy}
     * @param to     e.g. {@code ejected}
     * @param reason e.g. {@code 5 consecutive failures}
     */
    record EndpointEvent(String service, String endpoint, String from, String to, String reason) { }
}
