package dev.ballast.proxy.http;

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

    /** The raw value of query parameter {@code name} (not percent-decoded), or null. */
    static String queryParameter(String uri, String name) {
        int query = uri.indexOf('?');
        if (query < 0) {
            return null;
        }
        int start = query + 1;
        int length = uri.length();
        while (start < length) {
            int amp = uri.indexOf('&', start);
            int end = amp < 0 ? length : amp;
            int hash = uri.indexOf('#', start);
            if (hash >= 0 && hash < end) {
                end = hash;
                amp = -1;
            }
            int nameEnd = start + name.length();
            if (nameEnd <= end && uri.regionMatches(start, name, 0, name.length())
                    && (nameEnd == end || uri.charAt(nameEnd) == '=')) {
                return nameEnd == end ? "" : uri.substring(nameEnd + 1, end);
            }
            if (amp < 0) {
                break;
            }
            start = amp + 1;
        }
        return null;
    }
}
