package dev.ballast.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

import java.util.List;

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, so a proxy removes them in
 * both directions before forwarding, together with every header the {@code Connection} header names.
 * The caller re-adds the framing ({@code Transfer-Encoding: chunked}) its own connection needs.
 */
final class HopByHop {

    private static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");
    /** Not a standard header any more (so deprecated in Netty), but HTTP/1.0 peers still send it. */
    private static final AsciiString KEEP_ALIVE = AsciiString.cached("keep-alive");

    private static final AsciiString[] ALWAYS = {
            HttpHeaderNames.CONNECTION,
            KEEP_ALIVE,
            PROXY_CONNECTION,
            HttpHeaderNames.TE,
            HttpHeaderNames.TRAILER,
            HttpHeaderNames.TRANSFER_ENCODING,
            HttpHeaderNames.UPGRADE,
            HttpHeaderNames.PROXY_AUTHENTICATE,
            HttpHeaderNames.PROXY_AUTHORIZATION,
    };

    private HopByHop() {
    }

    static void strip(HttpHeaders headers) {
        if (headers.contains(HttpHeaderNames.CONNECTION)) {
            List<String> values = headers.getAll(HttpHeaderNames.CONNECTION);
            for (String value : values) {
                removeListed(headers, value);
            }
        }
        for (AsciiString name : ALWAYS) {
            headers.remove(name);
        }
    }

    /** Removes each comma-separated token of a {@code Connection} value as a header name. */
    private static void removeListed(HttpHeaders headers, String value) {
        int start = 0;
        int length = value.length();
        while (start < length) {
            int comma = value.indexOf(',', start);
            int end = comma < 0 ? length : comma;
            String token = value.substring(start, end).trim();
            if (!token.isEmpty()) {
                headers.remove(token);
            }
            start = end + 1;
        }
    }
}
