package dev.ballast.proxy.accesslog;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.state.EndpointRegistry;
import dev.ballast.core.state.EndpointState;
import dev.ballast.core.time.Ticker;
import dev.ballast.proxy.http.RequestRecord;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.util.List;

/**
 * Finished {@link RequestRecord}s for unit tests. The http package fills records in through
 * package-private methods, so this reaches them by reflection rather than widening their API.
 */
final class Requests {

    static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

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

    static Requests request() {
        return new Requests();
    }

    Requests client(String value) {
        client = value;
        return this;
    }

    Requests method(String value) {
        method = value;
        return this;
    }

    Requests uri(String value) {
        uri = value;
        return this;
    }

    /** Null: no {@code User-Agent} header. */
    Requests userAgent(String value) {
        userAgent = value;
        return this;
    }

    Requests status(int value) {
        status = value;
        return this;
    }

    Requests bytes(long in, long out) {
        bytesIn = in;
        bytesOut = out;
        return this;
    }

    Requests durationNanos(long value) {
        durationNanos = value;
        return this;
    }

    /** Null: no endpoint picked (and no attempts). */
    Requests endpoint(String host, int attemptsMade) {
        endpoint = host;
        attempts = attemptsMade;
        return this;
    }

    /** Null: the request never reached the upstream. */
    Requests traceparent(String value) {
        traceparent = value;
        return this;
    }

    RequestRecord build() {
        try {
            Constructor<RequestRecord> constructor = RequestRecord.class.getDeclaredConstructor();
            constructor.setAccessible(true);
            RequestRecord record = constructor.newInstance();
            long start = 1_000;
            call(record, "begin", new Class<?>[] {String.class, String.class, String.class, long.class},
                    client, method, uri, start);
            // unvalidated headers: the escaping must cope with any character, whatever a decoder lets through
            HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/",
                    DefaultHttpHeadersFactory.headersFactory().withValidation(false));
            if (userAgent != null) {
                head.headers().set("User-Agent", userAgent);
            }
            call(record, "request", new Class<?>[] {HttpRequest.class}, head);
            if (endpoint != null) {
                call(record, "picked", new Class<?>[] {EndpointState.class, int.class}, endpointState(endpoint), attempts);
            }
            if (traceparent != null) {
                call(record, "traceparent", new Class<?>[] {AsciiString.class}, new AsciiString(traceparent));
            }
            call(record, "status", new Class<?>[] {int.class}, status);
            call(record, "bytesIn", new Class<?>[] {long.class}, bytesIn);
            call(record, "addBytesOut", new Class<?>[] {long.class}, bytesOut);
            call(record, "end", new Class<?>[] {long.class}, start + durationNanos);
            return record;
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("RequestRecord's package-private API changed: update this fixture", e);
        }
    }

    private static EndpointState endpointState(String host) {
        return new EndpointRegistry(Ticker.system()).sync(List.of(Endpoint.of(host, 8080))).get(0);
    }

    private static void call(RequestRecord record, String name, Class<?>[] types, Object... args)
            throws ReflectiveOperationException {
        Method method = RequestRecord.class.getDeclaredMethod(name, types);
        method.setAccessible(true);
        method.invoke(record, args);
    }
}
