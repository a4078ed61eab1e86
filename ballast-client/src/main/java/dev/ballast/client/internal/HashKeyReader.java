package dev.ballast.client.internal;

import dev.ballast.client.ClientRequest;
import dev.ballast.client.ServiceConfig.HashKey;

import java.util.List;

/** Finds a request's affinity key where the service's {@code hash_key} says it is. */
final class HashKeyReader {

    private HashKeyReader() {
    }

    /** The key, or null when the request carries none (hash balancers then pick at random). */
    static String keyOf(HashKey spec, ClientRequest request) {
        if (request.hashKey().isPresent()) {
            return request.hashKey().get();
        }
        if (spec == null) {
            return null;
        }
        return switch (spec.source()) {
            case HEADER -> request.header(spec.name()).orElse(null);
            case COOKIE -> cookie(request.headerValues("cookie"), spec.name());
            case QUERY -> queryParameter(request.path(), spec.name());
            case PATH -> pathOnly(request.path());
        };
    }

    private static String cookie(List<String> headers, String name) {
        for (String header : headers) {
            for (String pair : header.split(";")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).strip().equals(name)) {
                    return pair.substring(eq + 1).strip();
                }
            }
        }
        return null;
    }

    private static String queryParameter(String path, String name) {
        int q = path.indexOf('?');
        if (q < 0) {
            return null;
        }
        for (String pair : path.substring(q + 1).split("&")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            if (key.equals(name)) {
                return eq < 0 ? "" : pair.substring(eq + 1);
            }
        }
        return null;
    }

    private static String pathOnly(String path) {
        int q = path.indexOf('?');
        return q < 0 ? path : path.substring(0, q);
    }
}
