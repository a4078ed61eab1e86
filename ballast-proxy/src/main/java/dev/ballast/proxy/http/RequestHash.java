package dev.ballast.proxy.http;

import dev.ballast.core.pick.CookieValues;
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

    /** The value of cookie {@code name} in the request's {@code Cookie} headers, the first that has it, or null. */
    static String cookie(HttpRequest request, String name) {
        for (String field : request.headers().getAll(HttpHeaderNames.COOKIE)) {
            String value = CookieValues.value(field, name);
            if (value != null) {
                return value;
            }
        }
        return null;
    }
}
