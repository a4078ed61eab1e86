package dev.ballast.proxy.http;

import dev.ballast.proxy.config.TrustedProxies;
import io.netty.handler.codec.http.HttpHeaders;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * The client a request came from when one of {@code trusted_proxies} passed it on: the address that
 * proxy, and any trusted one before it, appended to {@code X-Forwarded-For}. Read from the right, as
 * each proxy appends what it saw; the first address no trusted proxy owns is the client. An address a
 * client wrote at the left cannot pass itself off, for a trusted proxy to its right vouches only for
 * its own entry (NGINX's {@code real_ip_recursive}, Envoy's trusted hops).
 */
final class ForwardedFor {

    static final String HEADER = "x-forwarded-for";

    private ForwardedFor() {
    }

    /**
     * The request's client: {@code peer} (a trusted proxy) unless {@code X-Forwarded-For} names one
     * before it. An entry that is not an address ({@code unknown}) ends the walk at the last one that is.
     */
    static String client(HttpHeaders headers, TrustedProxies trusted, String peer) {
        List<String> lines = headers.getAll(HEADER);
        String client = peer;
        for (int line = lines.size() - 1; line >= 0; line--) {
            String list = lines.get(line);
            int end = list.length();
            while (end > 0) {
                int comma = list.lastIndexOf(',', end - 1);
                String entry = list.substring(comma + 1, end).strip();
                end = Math.max(comma, 0);
                if (entry.isEmpty()) {
                    continue;
                }
                byte[] address = TrustedProxies.forwardedAddress(entry);
                if (address == null) {
                    return client;
                }
                client = text(address);
                if (!trusted.contains(address)) {
                    return client;
                }
            }
        }
        return client;
    }

    /** As {@link InetAddress#getHostAddress}: {@code ::1}'s long form, and no port. */
    private static String text(byte[] address) {
        try {
            return InetAddress.getByAddress(address).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // cannot happen: 4 or 16 bytes
        }
    }
}
