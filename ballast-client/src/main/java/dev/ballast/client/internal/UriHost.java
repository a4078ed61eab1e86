package dev.ballast.client.internal;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * Whether an endpoint address can be the authority of a URI, as {@code HttpClient} needs. {@code
 * java.net.URI} takes a host name with a character DNS allows but URIs do not ({@code my_svc}) as no
 * host at all, after which every request to it fails: refused where the address is given instead.
 */
public final class UriHost {

    private UriHost() {
    }

    /** @throws IllegalArgumentException saying why {@code address} ({@code host:port}) cannot be used */
    public static void check(String address) {
        URI uri;
        try {
            uri = new URI("http://" + address);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + address + "' cannot be used in a URI (" + e.getReason() + ")");
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("'" + address + "' cannot be used in a URI (java.net.URI takes no '_'"
                    + " or other non-URI character in a host name)");
        }
    }
}
