package dev.ballast.proxy.config;

import dev.ballast.core.config.HashKeyNames;

import java.util.Locale;

/**
 * {@code upstreams.NAME.hash_key}: where {@code ring-hash} and {@code maglev} find a request's key:
 * {@code header:NAME | cookie:NAME | query:NAME | client-ip | path}.
 *
 * <p>A header name is an RFC 9110 field-name and a cookie name an RFC 6265 cookie-name: both a token. A
 * query parameter name is written decoded, as a backend reads it (and as {@code match.query} names are):
 * it is compared with each parameter's percent-decoded name, so it may hold any character a request can
 * carry encoded, {@code page[id]} or {@code user id} as well; only a control character and the
 * {@code &}, {@code =} and {@code #} that delimit a query are refused. The rule is the core's
 * {@link HashKeyNames}, which the client's reader of the same YAML follows too.
 *
 * @param source where to look
 * @param name   the header, cookie or query parameter name; empty for client-ip and path
 */
public record HashKey(Source source, String name) {

    public enum Source { HEADER, COOKIE, QUERY, CLIENT_IP, PATH }

    static final String EXPECTED = "header:NAME, cookie:NAME, query:NAME, client-ip or path";

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
        if (source == Source.QUERY ? name.isEmpty() : !HashKeyNames.isToken(name)) {
            throw new IllegalArgumentException("'" + key + "': '" + name + "' is not a valid "
                    + source.name().toLowerCase(Locale.ROOT) + " name (expected: " + EXPECTED + ")");
        }
        String problem = source == Source.QUERY ? HashKeyNames.queryNameProblem(name) : null;
        if (problem != null) {
            throw new IllegalArgumentException("'" + key + "': " + problem + " (expected: " + EXPECTED + ")");
        }
        return new HashKey(source, name);
    }

    /**
     * What a reader warns of in this valid key, or null: a query name that looks written encoded
     * ({@code query:page%5Bid%5D}), which no request sending it so matches (the core's
     * {@link HashKeyNames#encodedQueryNameWarning}, the client's words too).
     */
    String warning() {
        return source == Source.QUERY ? HashKeyNames.encodedQueryNameWarning(name) : null;
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
