package dev.ballast.client;

import java.util.Objects;

/**
 * A call that produced no response. Unchecked, as the failure of a remote call is an outcome the
 * caller decides about, not a programming error; {@link #kind()} says which outcome, so callers,
 * retries and fan-out reports branch on a value rather than on exception classes or messages.
 *
 * <p>An HTTP error status is not a {@code CallException}: it is a {@link ClientResponse}.
 */
public final class CallException extends RuntimeException {

    /** What went wrong. */
    public enum Kind {
        /** The service name is not configured on the client. */
        UNKNOWN_SERVICE(false),
        /** The balancer found no endpoint (none configured, all unhealthy or ejected, all at capacity). */
        NO_ENDPOINT(false),
        /** No connection could be opened (refused, unreachable, connect timeout): the request never left. */
        CONNECT_FAILURE(true),
        /** The connection failed after the request was sent (reset, closed, malformed response). */
        RESET(true),
        /** One attempt outlived the service's per-try {@code response_timeout}. */
        TIMEOUT(true),
        /** The call's deadline (its own timeout, or one inherited from its context) passed. */
        DEADLINE_EXCEEDED(false),
        /** The call or its context was cancelled. */
        CANCELLED(false),
        /**
         * A limit refused the call before it was sent: the circuit breaker. (A retry the retry budget
         * refuses ends the call with the last try's failure, its message saying so.)
         */
        REJECTED(false),
        /**
         * The response's body was over the service's {@code maxResponseBytes}; the rest was not read. Not
         * retried: another endpoint would most likely send the same.
         */
        RESPONSE_TOO_LARGE(false);

        private final boolean endpointFault;

        Kind(boolean endpointFault) {
            this.endpointFault = endpointFault;
        }

        /** True when the failure says something about the endpoint (outlier detection counts it). */
        public boolean endpointFault() {
            return endpointFault;
        }
    }

    private final Kind kind;
    private final String service;
    private final String endpoint;
    private final TraceContext trace;

    /**
     * @param service  the service called
     * @param endpoint the endpoint's {@code host:port}, or null when none was reached
     * @param trace    the trace position the call was sent with, or null before one was made
     */
    public CallException(Kind kind, String service, String endpoint, TraceContext trace, String message,
            Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
        this.service = Objects.requireNonNull(service, "service");
        this.endpoint = endpoint;
        this.trace = trace;
    }

    public CallException(Kind kind, String service, String message) {
        this(kind, service, null, null, message, null);
    }

    public Kind kind() {
        return kind;
    }

    public String service() {
        return service;
    }

    /** The endpoint the failed attempt went to, or null when none was reached. */
    public String endpoint() {
        return endpoint;
    }

    /** The {@code traceparent} position the call was made with, for logs; null if it failed before. */
    public TraceContext trace() {
        return trace;
    }
}
