package dev.ballast.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;

import java.util.Iterator;

/**
 * What RFC 9112 asks a server to refuse or rewrite in a request head that Netty's decoder accepted:
 * the request target's form and characters (§3.2), and the Host header (§3.2, RFC 9110 §7.2). A
 * reverse proxy is the origin server to its clients, so it owes them these checks, and the upstream
 * must never see a target or a host that the proxy routed differently from how it reads them.
 */
final class RequestHead {

    private RequestHead() {
    }

    /**
     * Turns an absolute-form target ({@code http://api.example.com/x?q}) into origin-form
     * ({@code /x?q}) with its authority as the only Host, as RFC 9112 §3.2.2 has a server do: routing
     * then sees the host the client asked for, and the upstream a target it can read. Returns a problem
     * in words when the target's authority is unusable, else null (also for every other form).
     */
    static String toOriginForm(HttpRequest request) {
        String uri = request.uri();
        int authority = schemeEnd(uri);
        if (authority < 0) {
            return null;
        }
        int end = authority;
        while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
            end++;
        }
        String host = uri.substring(authority, end);
        if (host.isEmpty() || host.indexOf('@') >= 0 || !isValidHost(host)) {
            return "the request target's host is missing or not valid"; // not quoted: it may hold credentials
        }
        String rest = uri.substring(end);
        if (rest.isEmpty() && HttpMethod.OPTIONS.equals(request.method())) {
            request.setUri("*"); // the server itself, not a resource (RFC 9112 §3.2.4)
        } else {
            request.setUri(rest.startsWith("/") ? rest : "/" + rest);
        }
        request.headers().set(HttpHeaderNames.HOST, host);
        return null;
    }

    /** Where the authority of an {@code http://} or {@code https://} target starts, or -1. */
    private static int schemeEnd(String uri) {
        if (uri.regionMatches(true, 0, "http://", 0, 7)) {
            return 7;
        }
        if (uri.regionMatches(true, 0, "https://", 0, 8)) {
            return 8;
        }
        return -1;
    }

    /**
     * Why the request's target must be answered 400, in words (quoting the client: the caller escapes
     * them), or null when it may go on. Call after {@link #toOriginForm}.
     */
    static String targetProblem(HttpRequest request) {
        String uri = request.uri();
        if (uri.equals("*")) {
            if (!HttpMethod.OPTIONS.equals(request.method())) {
                return "request target '*' is only for OPTIONS";
            }
        } else if (!uri.startsWith("/")) {
            return "request target '" + uri + "' is neither a path nor an http:// URL";
        }
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c <= ' ' || c == 0x7F || c == '#') {
                return c == '#' ? "request target has a fragment ('#'), which clients never send"
                        : "request target has a control character";
            }
        }
        return null;
    }

    /**
     * Why the request's Host header must be answered 400 (RFC 9112 §3.2: none in HTTP/1.1, more than
     * one, or an invalid value), in words, or null. Call before {@link #toOriginForm}, which replaces
     * it: the rule holds for an absolute-form request too.
     */
    static String hostProblem(HttpRequest request) {
        Iterator<String> hosts = request.headers().valueStringIterator(HttpHeaderNames.HOST);
        if (!hosts.hasNext()) {
            return request.protocolVersion().minorVersion() >= 1 ? "no Host header (HTTP/1.1 requires one)" : null;
        }
        String host = hosts.next();
        if (hosts.hasNext()) {
            return "more than one Host header";
        }
        if (!isValidHost(host)) {
            return "Host '" + host + "' is not a host name, an IP address, or either with a port";
        }
        return null;
    }

    /**
     * An RFC 3986 authority without user info: a host name or IPv4 address, or an IPv6 address in
     * brackets, then an optional {@code :port} of at most 65535; empty is allowed (RFC 9110 §7.2), a
     * port with no host is not. A character scan, not a resolver: it keeps out what a server
     * downstream could read differently (spaces, slashes, {@code @}, controls, a port that is no
     * number). Stricter than RFC 3986's reg-name, which also takes sub-delimiters and %-escapes: no
     * host name has them, and a backend reading {@code Host: evil.test,a.example.com} as a list takes
     * a host other than the one a {@code *.example.com} route matched.
     */
    static boolean isValidHost(String host) {
        int length = host.length();
        int nameEnd;
        if (length > 0 && host.charAt(0) == '[') {
            int close = host.indexOf(']');
            if (close < 0 || !isIpv6Literal(host, 1, close)) {
                return false;
            }
            nameEnd = close + 1;
        } else {
            int colon = host.indexOf(':');
            nameEnd = colon < 0 ? length : colon;
            for (int i = 0; i < nameEnd; i++) {
                if (!isRegNameChar(host.charAt(i))) {
                    return false;
                }
            }
        }
        if (nameEnd == length) {
            return true;
        }
        return nameEnd > 0 && host.charAt(nameEnd) == ':' && isPort(host, nameEnd + 1, length);
    }

    /** An unreserved character (RFC 3986 §2.3): what host names and IPv4 addresses are made of. */
    private static boolean isRegNameChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0;
    }

    /** Hex digits, colons (at least two, as in {@code ::}) and the dots of an embedded IPv4 address. */
    private static boolean isIpv6Literal(String text, int from, int to) {
        int colons = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c == ':') {
                colons++;
            } else if (Character.digit(c, 16) < 0 && c != '.') {
                return false;
            }
        }
        return colons >= 2;
    }

    /** Up to five digits, at most 65535; empty is allowed, as RFC 3986 allows {@code host:}. */
    private static boolean isPort(String text, int from, int to) {
        if (to - from > 5) {
            return false;
        }
        int port = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
            port = port * 10 + (c - '0');
        }
        return port <= 65535;
    }
}
