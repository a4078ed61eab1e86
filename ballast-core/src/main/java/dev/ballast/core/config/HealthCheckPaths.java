package dev.ballast.core.config;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * What an HTTP health check may ask for: a path and query that an HTTP client can send as they are
 * written. One rule for the proxy and the client, so a file one accepts the other accepts too; a
 * path no client can send (a {@code |} or {@code {}} unencoded, a broken {@code %} escape, a
 * {@code #fragment}) would otherwise fail every check and mark every endpoint unhealthy.
 */
public final class HealthCheckPaths {

    private HealthCheckPaths() {
    }

    /** Why {@code path} cannot be a check's path and query, in words, or null when it can. */
    public static String problem(String path) {
        if (path == null || !path.startsWith("/")) {
            return "'" + path + "' does not start with '/' (expected: a path like /healthz)";
        }
        if (path.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            return "'" + path + "' has spaces or control characters (expected: a path like /healthz)";
        }
        try {
            if (new URI("http://localhost" + path).getRawFragment() != null) {
                return "'" + path + "' has a #fragment, which is never sent (expected: path and query only)";
            }
        } catch (URISyntaxException e) {
            return "'" + path + "' is not a valid URI path and query (" + e.getReason()
                    + "; expected: percent-encoded, like /status%7Cfull)";
        }
        return null;
    }
}
