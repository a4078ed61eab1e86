package dev.ballast.proxy.config;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * {@code upstreams.NAME.hash_key}: where {@code ring-hash} and {@code maglev} find a request's key:
 * {@code header:NAME | cookie:NAME | query:NAME | client-ip | path}.
 *
 * @param source where to look
 * @param name   the header, cookie or query parameter name; empty for client-ip and path
 */
public record HashKey(Source source, String name) {

    public enum Source { HEADER, COOKIE, QUERY, CLIENT_IP, PATH }

    static final String EXPECTED = "header:NAME, cookie:NAME, query:NAME, client-ip or path";

    // RFC 9110 token characters: valid in header, cookie and (unencoded) query parameter names.
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    /**
     * Parses the configuration syntax.
     *
     * @throws IllegalArgumentException saying what is wrong and what was expected
     */
    public static HashKey parse(String text) {
        String key = text.strip();
        switch (key) {
            case "client-ip":
                return new HashKey(Source.CLIENT_IP, "");
            case "path":
                return new HashKey(Source.PATH, "");
            default:
                break;
        }
        int colon = key.indexOf(':');
        Source source = colon < 0 ? null : switch (key.substring(0, colon).toLowerCase(Locale.ROOT)) {
            case "header" -> Source.HEADER;
            case "cookie" -> Source.COOKIE;
            case "query" -> Source.QUERY;
            default -> null;
        };
        if (source == null) {
            throw new IllegalArgumentException("'" + key + "' is not a hash key (expected: " + EXPECTED + ")");
        }
        String name = key.substring(colon + 1).strip();
        if (!TOKEN.matcher(name).matches()) {
            throw new IllegalArgumentException("'" + key + "': '" + name + "' is not a valid "
                    + source.name().toLowerCase(Locale.ROOT) + " name (expected: " + EXPECTED + ")");
        }
        if (source == Source.QUERY && (name.indexOf('&') >= 0 || name.indexOf('=') >= 0 || name.indexOf('#') >= 0)) {
            throw new IllegalArgumentException("'" + key + "': a query parameter name holds no '&', '=' or '#' (the"
                    + " query is split on them, so this key could never be found; expected: " + EXPECTED + ")");
        }
        return new HashKey(source, name);
    }

    /** The configuration syntax, e.g. {@code header:X-User-Id}. */
    @Override
    public String toString() {
        return switch (source) {
            case CLIENT_IP -> "client-ip";
            case PATH -> "path";
            default -> source.name().toLowerCase(Locale.ROOT) + ":" + name;
        };
    }
}
