package dev.ballast.proxy.http;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.state.EndpointRegistry;
import dev.ballast.core.state.EndpointState;
import dev.ballast.core.time.Ticker;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

import java.util.List;

/**
 * Finished {@link RequestRecord}s for unit tests of what observes them (access log, metrics). It lives
 * in the http package because records are filled in through package-private methods, which stay so.
 */
public final class RequestRecords {

    public static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

    private String client = "10.0.0.3";
    private String method = "GET";
    private String uri = "/api/users/36";
    private String userAgent = "curl/8.5.0";
    private int status = 200;
    private long bytesIn;
    private long bytesOut = 812;
    private long durationNanos = 9_487_123;
    private String endpoint = "10.0.0.7";
    private int attempts = 1;
    private String traceparent = "00-" + TRACE_ID + "-00f067aa0ba902b7-01";
    private String incomingTraceparent;
    private String requestId;
    private CutShort cutShort;

    public static RequestRecords request() {
        return new RequestRecords();
    }

    public RequestRecords client(String value) {
        client = value;
        return this;
    }

    public RequestRecords method(String value) {
        method = value;
        return this;
    }

    public RequestRecords uri(String value) {
        uri = value;
        return this;
    }

    /** Null: no {@code User-Agent} header. */
    public RequestRecords userAgent(String value) {
        userAgent = value;
        return this;
    }

    public RequestRecords status(int value) {
        status = value;
        return this;
    }

    public RequestRecords bytes(long in, long out) {
        bytesIn = in;
        bytesOut = out;
        return this;
    }

    public RequestRecords durationNanos(long value) {
        durationNanos = value;
        return this;
    }

    /** Null: no endpoint picked (and no attempts). */
    public RequestRecords endpoint(String host, int attemptsMade) {
        endpoint = host;
        attempts = attemptsMade;
        return this;
    }

    /** Null: the request never reached the upstream. */
    public RequestRecords traceparent(String value) {
        traceparent = value;
        return this;
    }

    /** The client's valid {@code traceparent}; null: it sent none. */
    public RequestRecords incomingTraceparent(String value) {
        incomingTraceparent = value;
        return this;
    }

    /** The client's usable {@code X-Request-Id}; null: it sent none. */
    public RequestRecords requestId(String value) {
        requestId = value;
        return this;
    }

    /** Null: the response was sent whole. */
    public RequestRecords cutShort(CutShort value) {
        cutShort = value;
        return this;
    }

    public RequestRecord build() {
        RequestRecord record = new RequestRecord();
        long start = 1_000;
        record.begin(client, method, uri, start);
        // unvalidated headers: the escaping must cope with any character, whatever a decoder lets through
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/",
                DefaultHttpHeadersFactory.headersFactory().withValidation(false));
        if (userAgent != null) {
            head.headers().set("User-Agent", userAgent);
        }
        record.request(head);
        if (endpoint != null) {
            record.picked(endpointState(endpoint), attempts);
        }
        if (traceparent != null) { // forwarded: what the client sent is kept as it was sent on
            record.traceparent(new AsciiString(traceparent));
            record.incomingTraceparent(incomingTraceparent);
            record.requestId(requestId);
        } else { // answered by the proxy: read from the head
            if (incomingTraceparent != null) {
                head.headers().set("traceparent", incomingTraceparent);
            }
            if (requestId != null) {
                head.headers().set("x-request-id", requestId);
            }
        }
        record.status(status);
        record.bytesIn(bytesIn);
        record.addBytesOut(bytesOut);
        if (cutShort != null) {
            record.cutShort(cutShort);
        }
        record.end(start + durationNanos);
        return record;
    }

    private static EndpointState endpointState(String host) {
        return new EndpointRegistry(Ticker.system()).sync(List.of(Endpoint.of(host, 8080))).get(0);
    }
}
