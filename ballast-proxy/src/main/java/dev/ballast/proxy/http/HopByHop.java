package dev.ballast.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

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
    private static final int CONNECTION = 0;
    /**
     * Forwarding headers a client may send but only a proxy may write. Ballast writes
     * {@code X-Forwarded-For} (appended), {@code -Proto} and {@code -Host} itself; these others would
     * stand beside them unchecked, and frameworks read them (Spring, Rack: {@code Forwarded} first, then
     * {@code X-Forwarded-Port}, {@code -Prefix}, {@code -Ssl}), so a client could choose the scheme,
     * host, path prefix or address a service believes it was reached by: links built from them, secure
     * flags, address allow-lists. Removed from requests, as Go's {@code ReverseProxy} does.
     */
    private static final AsciiString[] CLIENT_FORWARDING = {
            AsciiString.cached("forwarded"),
            AsciiString.cached("x-forwarded-port"),
            AsciiString.cached("x-forwarded-prefix"),
            AsciiString.cached("x-forwarded-ssl"),
            AsciiString.cached("x-forwarded-scheme"),
            AsciiString.cached("x-forwarded-server"),
            AsciiString.cached("x-real-ip"),
    };
    /**
     * Headers a {@code Connection} option never removes: the body's framing and the target's host
     * describe the message, not the connection. A client that lists {@code Content-Length} would
     * otherwise have its body forwarded without a length, where the upstream reads it as the next
     * request on a pooled connection: request smuggling.
     */
    private static final AsciiString[] NEVER_LISTED = {HttpHeaderNames.CONTENT_LENGTH, HttpHeaderNames.HOST};
    /** Bit n set when some name in {@link #ALWAYS} has n characters: most names are ruled out by length alone. */
    private static final int LENGTHS = lengths(ALWAYS);
    private static final int CLIENT_FORWARDING_LENGTHS = lengths(CLIENT_FORWARDING);

    private static int lengths(AsciiString[] names) {
        int lengths = 0;
        for (AsciiString name : names) {
            lengths |= 1 << name.length();
        }
        return lengths;
    }

    private HopByHop() {
    }

    /**
     * One pass over the headers notes which hop-by-hop ones are present, then only those are removed:
     * most messages carry none or just {@code Connection}, and a removal by name costs a hash and a
     * bucket walk, nine times over for nothing if done blindly on every message.
     */
    static void strip(HttpHeaders headers) {
        strip(headers, false);
    }

    /**
     * {@link #strip} for a request on its way upstream: also without a client's forwarding headers,
     * unless it came from one of {@code trusted_proxies}.
     */
    static void stripRequest(HttpHeaders headers, boolean fromTrustedProxy) {
        strip(headers, !fromTrustedProxy);
    }

    private static void strip(HttpHeaders headers, boolean clientForwarding) {
        int present = 0;
        int forwarding = 0;
        List<String> listed = null;
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> header = it.next();
            CharSequence name = header.getKey();
            int index = indexOf(ALWAYS, LENGTHS, name, 0, name.length());
            if (index >= 0) {
                present |= 1 << index;
                if (index == CONNECTION) {
                    listed = connectionOptions(header.getValue(), listed);
                }
            } else if (clientForwarding) {
                index = indexOf(CLIENT_FORWARDING, CLIENT_FORWARDING_LENGTHS, name, 0, name.length());
                if (index >= 0) {
                    forwarding |= 1 << index;
                }
            }
        }
        for (int index = 0; present != 0; index++, present >>>= 1) {
            if ((present & 1) != 0) {
                headers.remove(ALWAYS[index]);
            }
        }
        for (int index = 0; forwarding != 0; index++, forwarding >>>= 1) {
            if ((forwarding & 1) != 0) {
                headers.remove(CLIENT_FORWARDING[index]);
            }
        }
        if (listed != null) {
            for (String name : listed) {
                headers.remove(name);
            }
        }
    }

    /**
     * The transfer codings of a message other than its final {@code chunked} ({@code gzip} of
     * {@code gzip, chunked}), or null when there are none. The decoder undid only the chunking; the
     * others are still on the body, and {@code Transfer-Encoding}, hop-by-hop, is about to go.
     */
    static String otherTransferCodings(HttpHeaders headers) {
        if (!headers.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            return null;
        }
        StringBuilder others = new StringBuilder();
        for (String value : headers.getAll(HttpHeaderNames.TRANSFER_ENCODING)) {
            for (String coding : value.split(",")) {
                String name = coding.strip();
                if (!name.isEmpty() && !name.equalsIgnoreCase(HttpHeaderValues.CHUNKED.toString())) {
                    others.append(others.isEmpty() ? "" : ", ").append(name);
                }
            }
        }
        return others.isEmpty() ? null : others.toString();
    }

    /**
     * Trailer fields (RFC 9110 §6.5.1) without what may not come after the content: the hop-by-hop
     * headers, and the framing and routing ones a recipient that merges trailers into the header
     * section would act on too late, or wrongly ({@code Host}, {@code Content-Length}).
     */
    static void stripTrailers(HttpHeaders trailers) {
        if (!trailers.isEmpty()) { // almost always: nothing to look up
            stripTrailers(trailers, false);
        }
    }

    private static void stripTrailers(HttpHeaders trailers, boolean request) {
        strip(trailers, request);
        trailers.remove(HttpHeaderNames.HOST);
        trailers.remove(HttpHeaderNames.CONTENT_LENGTH);
    }

    /**
     * A request's trailer fields, as {@link #stripTrailers}, without a client's forwarding fields (as
     * {@link #stripRequest}) and without the fields the proxy itself sets or refuses in the head
     * ({@code X-Forwarded-*}, {@code Via}, trace context, the mirror mark): a recipient merging
     * trailers into the header section would take these for the proxy's.
     */
    static void stripRequestTrailers(HttpHeaders trailers) {
        if (trailers.isEmpty()) {
            return;
        }
        stripTrailers(trailers, true);
        trailers.remove(RequestRewrite.X_FORWARDED_FOR);
        trailers.remove(RequestRewrite.X_FORWARDED_PROTO);
        trailers.remove(RequestRewrite.X_FORWARDED_HOST);
        trailers.remove(HttpHeaderNames.VIA);
        trailers.remove(TraceContext.TRACEPARENT);
        trailers.remove(TraceContext.TRACESTATE);
        trailers.remove(TraceContext.X_REQUEST_ID);
        trailers.remove(MirrorExchange.MIRROR_HEADER);
    }

    /**
     * Adds to {@code listed} the names in a {@code Connection} value that are not hop-by-hop anyway
     * (those are removed by the caller when present); returns the list, created only when needed.
     */
    private static List<String> connectionOptions(CharSequence value, List<String> listed) {
        int length = value.length();
        int start = 0;
        while (start < length) {
            int end = start;
            while (end < length && value.charAt(end) != ',') {
                end++;
            }
            int next = end + 1;
            while (start < end && isSpace(value.charAt(start))) {
                start++;
            }
            while (end > start && isSpace(value.charAt(end - 1))) {
                end--;
            }
            if (end > start && indexOf(ALWAYS, LENGTHS, value, start, end) < 0 && !neverListed(value, start, end)) {
                if (listed == null) {
                    listed = new ArrayList<>(2);
                }
                listed.add(value.subSequence(start, end).toString());
            }
            start = next;
        }
        return listed;
    }

    private static boolean neverListed(CharSequence text, int start, int end) {
        for (AsciiString name : NEVER_LISTED) {
            if (name.length() == end - start && AsciiString.regionMatches(text, true, start, name, 0, end - start)) {
                return true;
            }
        }
        return false;
    }

    /** The index in {@code names} of the name in {@code text[start, end)}, ignoring case; -1 if none. */
    private static int indexOf(AsciiString[] names, int lengths, CharSequence text, int start, int end) {
        int length = end - start;
        if (length >= Integer.SIZE || (lengths & (1 << length)) == 0) {
            return -1;
        }
        for (int index = 0; index < names.length; index++) {
            AsciiString candidate = names[index];
            if (candidate.length() == length && AsciiString.regionMatches(text, true, start, candidate, 0, length)) {
                return index;
            }
        }
        return -1;
    }

    /**
     * True when the request asks to switch protocols (RFC 9110 §7.8): an {@code Upgrade} header, and
     * {@code upgrade} among the {@code Connection} options, without which the header must be ignored.
     */
    static boolean asksToUpgrade(HttpHeaders headers) {
        return headers.contains(HttpHeaderNames.UPGRADE)
                && headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t';
    }
}
