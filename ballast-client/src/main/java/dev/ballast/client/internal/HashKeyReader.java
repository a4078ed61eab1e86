package dev.ballast.client.internal;

import dev.ballast.client.ClientRequest;
import dev.ballast.client.ServiceConfig.HashKey;
import dev.ballast.core.pick.CookieValues;
import dev.ballast.core.pick.QueryParameters;

import java.util.List;

/** Finds a request's affinity key where the service's {@code hash_key} says it is. */
final class HashKeyReader {

    private HashKeyReader() {
    }

    /**
     * The key, or null when the request carries none (hash balancers then pick at random). An empty
     * value is none, as in the proxy's {@code RequestHash.key}: a logged-out client's {@code session=}
     * cookie, a {@code ?user=} or an empty header (or an empty {@link ClientRequest#hashKey}) would
     * otherwise all hash to one endpoint, a hot spot, where the proxy spreads them.
     */
    static String keyOf(HashKey spec, ClientRequest request) {
        String key;
        if (request.hashKey().isPresent()) {
            key = request.hashKey().get();
        } else if (spec == null) {
            return null;
        } else {
            key = switch (spec.source()) {
                case HEADER -> request.header(spec.name()).map(HashKeyReader::fieldValue).orElse(null);
                case COOKIE -> cookie(request.headerValues("cookie"), spec.name());
                // As the proxy's RequestHash reads it, by the same code: names and value percent-decoded.
                case QUERY -> QueryParameters.value(request.path(), spec.name());
                case PATH -> pathOnly(request.path());
            };
        }
        return key == null || key.isEmpty() ? null : key;
    }

    /**
     * A header value as the proxy reads it off the wire: without the spaces and tabs around it, which
     * are no part of a field value (RFC 9110 section 5.5; Netty's decoder drops them), so
     * {@code X-User: " 42 "} is the key {@code 42} and a value of only blanks is an empty one.
     * {@link ClientRequest} sends the value as given and allows no other control character.
     */
    private static String fieldValue(String value) {
        int start = 0;
        int end = value.length();
        while (start < end && isBlank(value.charAt(start))) {
            start++;
        }
        while (end > start && isBlank(value.charAt(end - 1))) {
            end--;
        }
        return start == 0 && end == value.length() ? value : value.substring(start, end);
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t';
    }

    /**
     * The value of cookie {@code name}, read as the proxy reads it ({@link CookieValues}): the {@code
     * Cookie} headers in order, each (as the proxy receives it) without surrounding blanks; the first
     * that has the cookie counts, even with an empty value.
     */
    private static String cookie(List<String> headers, String name) {
        for (String sent : headers) {
            String value = CookieValues.value(fieldValue(sent), name);
            if (value != null) {
                return value;
            }
        }
        return null;
    }

    private static String pathOnly(String path) {
        int q = path.indexOf('?');
        return q < 0 ? path : path.substring(0, q);
    }
}
