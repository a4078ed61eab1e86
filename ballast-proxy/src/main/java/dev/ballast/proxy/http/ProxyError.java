package dev.ballast.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.AsciiString;

import java.nio.charset.StandardCharsets;

/**
 * Every failure the proxy answers itself, and the one place that maps it to a status. Failures are
 * values on the data path: the handlers name one of these, never throw. After response headers were
 * sent a failure cannot become a status any more; the client connection is aborted instead.
 */
enum ProxyError {
    BAD_REQUEST(HttpResponseStatus.BAD_REQUEST),
    NO_ROUTE(HttpResponseStatus.NOT_FOUND),
    HEADER_READ_TIMEOUT(HttpResponseStatus.REQUEST_TIMEOUT),
    /** The client stopped sending a request body for {@code client_stall_timeout}. */
    BODY_TIMEOUT(HttpResponseStatus.REQUEST_TIMEOUT),
    BODY_TOO_LARGE(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE),
    URI_TOO_LONG(HttpResponseStatus.REQUEST_URI_TOO_LONG),
    EXPECTATION_FAILED(HttpResponseStatus.EXPECTATION_FAILED),
    HEADERS_TOO_LARGE(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE),
    /**
     * {@code CONNECT}: a tunnel to an address the client names is a forward proxy's job. Passed on, a
     * 2xx answer would turn a pooled upstream connection into a tunnel nobody relays.
     */
    NOT_IMPLEMENTED(HttpResponseStatus.NOT_IMPLEMENTED),
    /** An HTTP/1 request line naming another major version ({@code HTTP/2.0}, an HTTP/2 preface). */
    VERSION_NOT_SUPPORTED(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED),
    /** Refused, reset or timed out while connecting, on every endpoint tried. */
    CONNECT_FAILED(HttpResponseStatus.BAD_GATEWAY),
    /** The upstream closed or reset the connection, or sent garbage, before a response header. */
    UPSTREAM_RESET(HttpResponseStatus.BAD_GATEWAY),
    /**
     * The balancer had no endpoint ({@code PickResult.Unavailable}), every one is at its connection
     * limit, or every one is down (panic mode, and the last try could not connect).
     */
    NO_ENDPOINT(HttpResponseStatus.SERVICE_UNAVAILABLE),
    /** Over a {@code circuit_breaker} limit: fail fast instead of queueing; the body names the limit. */
    CIRCUIT_OPEN(HttpResponseStatus.SERVICE_UNAVAILABLE),
    /** No response header within {@code response_timeout}. */
    RESPONSE_TIMEOUT(HttpResponseStatus.GATEWAY_TIMEOUT),
    /**
     * Not a failure: an {@code OPTIONS} or {@code TRACE} with {@code Max-Forwards: 0}, which the proxy
     * answers as the final recipient (RFC 9110 §7.6.2). A TRACE is not echoed: its headers may carry
     * credentials a script could read back (cross-site tracing).
     */
    LAST_HOP(HttpResponseStatus.OK);

    private static final AsciiString TEXT_PLAIN_UTF_8 = AsciiString.cached("text/plain; charset=utf-8");

    private final HttpResponseStatus status;

    ProxyError(HttpResponseStatus status) {
        this.status = status;
    }

    HttpResponseStatus status() {
        return status;
    }

    /** The status for a request the HTTP decoder rejected. */
    static ProxyError ofDecoderFailure(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return URI_TOO_LONG;
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return HEADERS_TOO_LARGE;
        }
        return BAD_REQUEST;
    }

    /**
     * A short plain-text response: the status line's reason, then what failed, e.g.
     * {@code 502 Bad Gateway: upstream api: connection refused: /127.0.0.1:9001}.
     */
    FullHttpResponse response(ByteBufAllocator allocator, String detail, boolean close) {
        String text = status.code() + " " + status.reasonPhrase() + ": " + detail + "\n";
        ByteBuf body = allocator.buffer(text.length());
        body.writeCharSequence(text, StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, TEXT_PLAIN_UTF_8)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
                .set(HttpHeaderNames.DATE, HttpDate.now());
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }
}
