package dev.ballast.proxy.config;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * {@code via}: the {@code Via} header (RFC 9110 §7.6.3) the proxy adds to every request it forwards,
 * saying that the request passed through a proxy and which HTTP version the client spoke
 * ({@code Via: 1.1 ballast}). A gateway must send it on inbound requests; any {@code Via} the client
 * sent is kept, and ours comes after it.
 *
 * @param enabled   {@code via.enabled} (default true)
 * @param pseudonym {@code via.pseudonym} (default {@code ballast}): how the proxy names itself, a token
 *                  or a {@code host[:port]}
 */
public record ViaConfig(boolean enabled, String pseudonym) {

    /** RFC 9110's received-by: a token, or a host with an optional port (brackets for IPv6). Before DEFAULT. */
    static final Pattern RECEIVED_BY = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}|\\[[0-9A-Fa-f:.]{2,45}](:[0-9]{1,5})?"
            + "|[0-9A-Za-z.-]{1,64}:[0-9]{1,5}");
    public static final String DEFAULT_PSEUDONYM = "ballast";
    private static final int MAX_PORT = 65_535;
    public static final ViaConfig DEFAULT = new ViaConfig(true, DEFAULT_PSEUDONYM);

    public ViaConfig {
        Objects.requireNonNull(pseudonym, "pseudonym");
        if (!namesAProxy(pseudonym)) {
            throw new IllegalArgumentException("pseudonym: '" + pseudonym + "' (expected: a token or host[:port])");
        }
    }

    /** A token, or {@code host:port} / {@code [v6]:port} with a port of at most 65535. */
    static boolean namesAProxy(String text) {
        if (!RECEIVED_BY.matcher(text).matches()) {
            return false;
        }
        int colon = text.lastIndexOf(':');
        boolean hasPort = colon > 0 && (text.charAt(0) != '[' || text.charAt(colon - 1) == ']');
        return !hasPort || Integer.parseInt(text.substring(colon + 1)) <= MAX_PORT;
    }
}
