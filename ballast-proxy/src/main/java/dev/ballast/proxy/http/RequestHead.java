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
     * Why the request must be answered 400, in words (quoting the client: the caller escapes them), or
     * null when it may go on. Call after {@link #toOriginForm}.
     */
    static String problem(HttpRequest request) {
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
        HttpHeaders headers = request.headers();
        Iterator<String> hosts = headers.valueStringIterator(HttpHeaderNames.HOST);
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
     * An RFC 3986 authority without user info: a registered name, IPv4 or bracketed IPv6 address, and
     * an optional port; empty is allowed (RFC 9110 §7.2). A character scan, not a full parse: it keeps
     * out what a server downstream could read differently (spaces, slashes, {@code @}, controls).
     */
    static boolean isValidHost(String host) {
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "-._~%!$&'()*+,;=:[]".indexOf(c) >= 0;
            if (!allowed) {
                return false;
            }
        }
        return true;
    }

    /** {@code text} with control and non-ASCII characters escaped ({@link ProxyError#printable} also caps it). */
    static String printable(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean plain = c >= ' ' && c < 0x7F;
            if (!plain && out == null) {
                out = new StringBuilder(text.length() + 16).append(text, 0, i);
            }
            if (out != null) {
                if (plain) {
                    out.append(c);
                } else {
                    out.append(c > 0xFF ? String.format("\\u%04X", (int) c) : String.format("\\x%02X", (int) c));
                }
            }
        }
        return out == null ? text : out.toString();
    }
}
