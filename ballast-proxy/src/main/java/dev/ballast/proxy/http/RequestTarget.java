package dev.ballast.proxy.http;

/**
 * Splits a request target (RFC 9112 §3.2) into the parts routing and hashing need. A {@code query:NAME}
 * key is read by the core's {@code QueryParameters}, as in the client.
 */
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
}
