package dev.ballast.proxy.http;

import dev.ballast.core.pick.HashKeys;
import dev.ballast.core.pick.QueryParameters;
import dev.ballast.proxy.config.HashKey;
import dev.ballast.proxy.upstream.Upstream;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;

/** Finds a request's affinity key as {@code hash_key} says and hashes it for ring-hash and maglev. */
final class RequestHash {

    private RequestHash() {
    }

    /**
     * The key the request carries for {@code hashKey}, or null when it carries none. An empty value is
     * none (a logged-out {@code session=} cookie must not send every such client to one place); a
     * query parameter's name and value are percent-decoded, as backends and {@code match.query} read them,
     * by the reading the client shares ({@link QueryParameters}).
     */
    static String key(HashKey hashKey, HttpRequest request, String path, String clientIp) {
        String key = switch (hashKey.source()) {
            case HEADER -> request.headers().get(hashKey.name());
            case COOKIE -> cookie(request, hashKey.name());
            case QUERY -> QueryParameters.value(request.uri(), hashKey.name());
            case CLIENT_IP -> clientIp;
            case PATH -> path;
        };
        return key == null || key.isEmpty() ? null : key;
    }

    /** The key the request carries for {@code upstream}'s {@code hash_key}; null when either has none. */
    static String key(Upstream upstream, HttpRequest request, String path, String clientIp) {
        HashKey hashKey = upstream.config().hashKey();
        return hashKey == null ? null : key(hashKey, request, path, clientIp);
    }

    static long hash(String key) {
        return HashKeys.hash(key);
    }

    /** The value of cookie {@code name} in the request's {@code Cookie} headers (RFC 6265 §5.4), or null. */
    static String cookie(HttpRequest request, String name) {
        for (String header : request.headers().getAll(HttpHeaderNames.COOKIE)) {
            int start = 0;
            int length = header.length();
            while (start < length) {
                int semicolon = header.indexOf(';', start);
                int end = semicolon < 0 ? length : semicolon;
                while (start < end && header.charAt(start) == ' ') {
                    start++;
                }
                int eq = header.indexOf('=', start);
                if (eq > 0 && eq < end && eq - start == name.length() && header.regionMatches(start, name, 0, name.length())) {
                    String value = header.substring(eq + 1, end).trim();
                    if (value.length() >= 2 && value.charAt(0) == '"' && value.charAt(value.length() - 1) == '"') {
                        value = value.substring(1, value.length() - 1);
                    }
                    return value;
                }
                start = end + 1;
            }
        }
        return null;
    }
}
