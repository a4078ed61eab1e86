package dev.ballast.client;

import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The response to a call, with where and how it was obtained. Any status is a response, 5xx
 * included: a {@link CallException} means there was none.
 *
 * @param request  the request as the last interceptor sent it
 * @param status   the HTTP status
 * @param headers  the response headers
 * @param body     the body, fully read; empty when there was none (not copied: do not change it)
 * @param endpoint the {@code host:port} that answered, or null for a response made by an interceptor
 * @param trace    the trace position the call was sent with, or null for a response made by an interceptor
 * @param attempts how many attempts the call sent, retries and hedges included (0 if short-circuited)
 */
public record ClientResponse(ClientRequest request, int status, HttpHeaders headers, byte[] body, String endpoint,
                             TraceContext trace, int attempts) {

    private static final HttpHeaders NO_HEADERS = HttpHeaders.of(Map.of(), (name, value) -> true);

    public ClientResponse {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(body, "body");
        if (status < 100 || status > 999) {
            throw new IllegalArgumentException("status: " + status + " (expected: 100..999)");
        }
    }

    /** A response made without sending anything: for interceptors that short-circuit (caches, stubs). */
    public static ClientResponse of(ClientRequest request, int status, String body) {
        return new ClientResponse(request, status, NO_HEADERS, body.getBytes(StandardCharsets.UTF_8), null, null, 0);
    }

    /** A response made without sending anything, with headers. */
    public static ClientResponse of(ClientRequest request, int status, Map<String, List<String>> headers, byte[] body) {
        return new ClientResponse(request, status, HttpHeaders.of(headers, (name, value) -> true), body, null, null, 0);
    }

    public ClientResponse withAttempts(int count) {
        return new ClientResponse(request, status, headers, body, endpoint, trace, count);
    }

    /** The first value of a header. */
    public Optional<String> header(String name) {
        return headers.firstValue(name);
    }

    /** The body decoded as UTF-8. */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** 2xx. */
    public boolean isSuccessful() {
        return status >= 200 && status < 300;
    }

    /** 5xx: the server failed; retries and outlier detection treat these as failures. */
    public boolean isServerError() {
        return status >= 500 && status < 600;
    }

    @Override
    public String toString() {
        return "ClientResponse[" + status + " from " + (endpoint != null ? endpoint : "interceptor") + " for " + request
                + ", attempts=" + attempts + "]";
    }
}
