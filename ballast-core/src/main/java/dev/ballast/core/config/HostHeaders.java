package dev.ballast.core.config;

import java.util.List;
import java.util.Optional;

/**
 * What {@code host_header} may say: {@code preserve}, {@code endpoint}, or a host to send as the
 * {@code Host} of every request. One rule for the proxy and the client, so a file one accepts the
 * other accepts too. A keyword mistyped ({@code Preserve}, {@code endpiont}) or a URL would otherwise
 * go upstream as the host itself, and a virtual host behind would answer for the wrong site.
 */
public final class HostHeaders {

    /** The client's {@code Host} goes upstream as it came. */
    public static final String PRESERVE = "preserve";
    /** The endpoint's {@code host:port} goes upstream. */
    public static final String ENDPOINT = "endpoint";
    public static final String EXPECTED = "preserve, endpoint, or a host name to send";

    private HostHeaders() {
    }

    /** Why {@code text} cannot be a {@code host_header}, in words, or null when it can. */
    public static String problem(String text) {
        if (text.equals(PRESERVE) || text.equals(ENDPOINT)) {
            return null;
        }
        if (text.contains("://") || text.indexOf('/') >= 0) {
            return "'" + text + "' is a URL, not a host (expected: " + EXPECTED + ", like api.internal or"
                    + " api.internal:8080)";
        }
        if (!text.chars().allMatch(HostHeaders::isHostCharacter)) {
            return "'" + text + "' is no host: only letters, digits, '-', '.', '_', '~', and ':' and brackets for"
                    + " a port or an IPv6 address (expected: " + EXPECTED + ")";
        }
        // A host of a keyword's name can still be given with its port.
        Optional<String> keyword = text.indexOf('.') >= 0 || text.indexOf(':') >= 0 ? Optional.empty()
                : Suggestions.closest(text, List.of(PRESERVE, ENDPOINT));
        return keyword.map(word -> "'" + text + "' is not a keyword; did you mean '" + word + "'? (expected: "
                + EXPECTED + "; a host of that name goes with its port, like " + text + ":80)").orElse(null);
    }

    private static boolean isHostCharacter(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~' || c == ':' || c == '[' || c == ']';
    }
}
