package dev.ballast.proxy.http;

import dev.ballast.core.state.EndpointState;
import dev.ballast.proxy.config.UpstreamConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

import java.util.List;

/**
 * Turns a client's request head into the one sent upstream, in place (no header copying): strip
 * hop-by-hop headers, re-frame the body, add Via and X-Forwarded-*, settle Host. Go's
 * {@code httputil.ReverseProxy} does the same steps, except Via.
 */
final class RequestRewrite {

    static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
    private static final AsciiString HTTP = AsciiString.cached("http");

    private RequestRewrite() {
    }

    /**
     * Prepares the head for the upstream. Call once, before the endpoint is known; the Host header
     * is settled per endpoint by {@link #settleHost}. {@code chunked}: the client sent a chunked body,
     * which goes on chunked (the frontend read the framing already). {@code via}: what to add to
     * {@code Via}, after what earlier proxies added. {@code peerIp}: the address the connection comes
     * from, appended to {@code X-Forwarded-For}. {@code fromTrustedProxy}: it is one of {@code
     * trusted_proxies}, whose forwarding headers are kept.
     */
    static void forUpstream(HttpRequest request, String peerIp, boolean chunked, ViaHeader via,
                            boolean fromTrustedProxy) {
        HttpHeaders headers = request.headers();
        HopByHop.stripRequest(headers, fromTrustedProxy);
        // We answer Expect: 100-continue ourselves, so the upstream must not wait for the body.
        headers.remove(HttpHeaderNames.EXPECT);
        // Only our mirrored copies say they are one: a client must not pass a real request off as a copy.
        headers.remove(MirrorExchange.MIRROR_HEADER);
        if (chunked) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        String received = via.value(request.protocolVersion()); // the version the client spoke, before it changes
        if (received != null) {
            headers.add(HttpHeaderNames.VIA, received);
        }
        // Our connection to the upstream is always HTTP/1.1 keep-alive, whatever the client spoke.
        request.setProtocolVersion(HttpVersion.HTTP_1_1);

        if (headers.contains(X_FORWARDED_FOR)) {
            List<String> prior = headers.getAll(X_FORWARDED_FOR);
            String joined = prior.size() == 1 ? prior.get(0) : String.join(", ", prior);
            headers.set(X_FORWARDED_FOR, joined + ", " + peerIp);
        } else {
            headers.set(X_FORWARDED_FOR, peerIp);
        }
        // From a trusted proxy, what it was asked for (https, its own host) stands; ours would not.
        if (!fromTrustedProxy || !headers.contains(X_FORWARDED_PROTO)) {
            headers.set(X_FORWARDED_PROTO, HTTP);
        }
        if (!fromTrustedProxy || !headers.contains(X_FORWARDED_HOST)) {
            String host = headers.get(HttpHeaderNames.HOST);
            if (host != null) {
                headers.set(X_FORWARDED_HOST, host);
            } else {
                // HTTP/1.0 may leave Host out: one the client wrote itself must not pass for the Host it sent.
                headers.remove(X_FORWARDED_HOST);
            }
        }
    }

    /**
     * Applies {@code host_header}: keep the client's Host, the endpoint's {@code host:port}, or a literal.
     * A client that sent none ({@code hostless}, HTTP/1.0) gets the endpoint's, set again at every try:
     * a retry to another endpoint must not carry the first one's.
     */
    static void settleHost(HttpRequest request, UpstreamConfig upstream, EndpointState endpoint, boolean hostless) {
        String mode = upstream.hostHeader();
        HttpHeaders headers = request.headers();
        if (mode == null || UpstreamConfig.HOST_PRESERVE.equals(mode)) {
            if (hostless) {
                headers.set(HttpHeaderNames.HOST, endpoint.address());
            }
        } else if (UpstreamConfig.HOST_ENDPOINT.equals(mode)) {
            headers.set(HttpHeaderNames.HOST, endpoint.address());
        } else {
            headers.set(HttpHeaderNames.HOST, mode);
        }
    }
}
