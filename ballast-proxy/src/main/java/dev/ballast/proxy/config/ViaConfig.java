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
    public static final ViaConfig DEFAULT = new ViaConfig(true, DEFAULT_PSEUDONYM);

    public ViaConfig {
        Objects.requireNonNull(pseudonym, "pseudonym");
        if (!RECEIVED_BY.matcher(pseudonym).matches()) {
            throw new IllegalArgumentException("pseudonym: '" + pseudonym + "' (expected: a token or host[:port])");
        }
    }
}
