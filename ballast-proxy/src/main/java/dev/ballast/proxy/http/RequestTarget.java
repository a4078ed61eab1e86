package dev.ballast.proxy.http;

import io.netty.handler.codec.http.QueryStringDecoder;

/** Splits a request target (RFC 9112 §3.2) into the parts routing and hashing need. */
final class RequestTarget {

    private RequestTarget() {
    }

    /**
     * The path of an origin-form ({@code /a/b?q}) or absolute-form ({@code http://host/a/b?q}) target,
     * without query or fragment; {@code /} when empty. No copy when the target has neither.
     */
    static String path(String uri) {
        int start = 0;
        if (!uri.isEmpty() && uri.charAt(0) != '/') {
            int scheme = uri.indexOf("://");
            if (scheme < 0) {
                return uri; // asterisk-form ("*") or authority-form: routed as is
            }
            int slash = uri.indexOf('/', scheme + 3);
            if (slash < 0) {
                return "/";
            }
            start = slash;
        }
        int end = uri.length();
        for (int i = start; i < end; i++) {
            char c = uri.charAt(i);
            if (c == '?' || c == '#') {
                end = i;
                break;
            }
        }
        if (start == end) {
            return "/";
        }
        return start == 0 && end == uri.length() ? uri : uri.substring(start, end);
    }

    /**
     * The raw value (not percent-decoded) of the first query parameter whose percent-decoded name is
     * {@code name}, or null. Names are read as {@code match.query} reads them (Netty's
     * {@code QueryStringDecoder}): split on {@code &} only, {@code %XX} as UTF-8 and {@code +} as a space, so
     * {@code ?user%5Fid=42} has {@code user_id}. A name with a malformed escape is compared as it is sent,
     * as a malformed value is still a key. A name without {@code %} or {@code +} is compared in place: no
     * allocation.
     */
    static String queryParameter(String uri, String name) {
        // The fragment is found once: looking for it per parameter scanned the rest of the target each
        // time. The request head refuses a target with one, but this stays right without that.
        int end = uri.indexOf('#');
        if (end < 0) {
            end = uri.length();
        }
        int query = uri.indexOf('?');
        if (query < 0 || query > end) {
            return null;
        }
        int start = query + 1;
        while (start < end) {
            int amp = uri.indexOf('&', start);
            int paramEnd = amp < 0 || amp > end ? end : amp;
            int nameEnd = start;
            boolean encoded = false;
            while (nameEnd < paramEnd) {
                char c = uri.charAt(nameEnd);
                if (c == '=') {
                    break;
                }
                encoded |= c == '%' || c == '+';
                nameEnd++;
            }
            if (encoded ? decodedNameIs(uri, start, nameEnd, name)
                    : nameEnd - start == name.length() && uri.regionMatches(start, name, 0, name.length())) {
                return nameEnd == paramEnd ? "" : uri.substring(nameEnd + 1, paramEnd);
            }
            start = paramEnd + 1;
        }
        return null;
    }

    private static boolean decodedNameIs(String uri, int start, int end, String name) {
        if (end - start < name.length()) {
            return false; // decoding never lengthens: a char stays one char, each %XX makes at most one
        }
        if (!wellFormedEscapes(uri, start, end)) { // checked, not caught: no exception on the request path
            return end - start == name.length() && uri.regionMatches(start, name, 0, name.length());
        }
        return QueryStringDecoder.decodeComponent(uri.substring(start, end)).equals(name);
    }

    /** Whether every {@code %} in {@code uri[start, end)} begins a {@code %XX} escape, which Netty decodes. */
    private static boolean wellFormedEscapes(String uri, int start, int end) {
        for (int i = start; i < end; i++) {
            if (uri.charAt(i) == '%') {
                if (i + 2 >= end || !isHex(uri.charAt(i + 1)) || !isHex(uri.charAt(i + 2))) {
                    return false;
                }
                i += 2;
            }
        }
        return true;
    }

    private static boolean isHex(char c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
    }
}
