package dev.ballast.proxy.config;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * {@code trusted_proxies}: the addresses of proxies in front of Ballast (a TLS terminator, a cloud load
 * balancer) whose forwarding headers are true. A request from one of them keeps the {@code
 * X-Forwarded-Proto}, {@code X-Forwarded-Host}, {@code Forwarded} and the like it came with; from any
 * other client they are replaced or removed, since a client could claim anything in them.
 *
 * <p>Immutable; {@link #contains} allocates nothing.
 */
public final class TrustedProxies {

    /** Trusts no one: every client's forwarding headers are replaced (the default). */
    public static final TrustedProxies NONE = new TrustedProxies(List.of(), new byte[0][], new int[0]);

    static final String EXPECTED = "an IP address or a CIDR range, like 10.0.0.0/8, 192.168.1.7 or fd00::/8";
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-f:.]*:[0-9a-f:.]*");

    private final List<String> ranges;
    private final byte[][] networks;
    private final int[] prefixes;

    private TrustedProxies(List<String> ranges, byte[][] networks, int[] prefixes) {
        this.ranges = ranges;
        this.networks = networks;
        this.prefixes = prefixes;
    }

    /**
     * Parses each range: an IPv4 or IPv6 address (one host), or {@code address/prefix}.
     *
     * @throws IllegalArgumentException naming the first range that is not one, and why
     */
    public static TrustedProxies of(List<String> ranges) {
        if (ranges.isEmpty()) {
            return NONE;
        }
        List<String> written = new ArrayList<>(ranges.size());
        byte[][] networks = new byte[ranges.size()][];
        int[] prefixes = new int[ranges.size()];
        for (int i = 0; i < ranges.size(); i++) {
            String range = ranges.get(i).strip().toLowerCase(Locale.ROOT);
            int slash = range.indexOf('/');
            String address = slash < 0 ? range : range.substring(0, slash);
            byte[] network = literal(address);
            if (network == null) {
                throw new IllegalArgumentException("'" + ranges.get(i) + "' is not " + EXPECTED);
            }
            int bits = network.length * 8;
            int prefix = bits;
            if (slash >= 0) {
                String length = range.substring(slash + 1);
                if (!length.matches("\\d{1,3}") || Integer.parseInt(length) > bits) {
                    throw new IllegalArgumentException("'" + ranges.get(i) + "': prefix length '" + length
                            + "' out of range (expected: 0.." + bits + " for an IPv" + (bits == 32 ? 4 : 6)
                            + " address)");
                }
                prefix = Integer.parseInt(length);
            }
            if (!zeroPast(network, prefix)) {
                throw new IllegalArgumentException("'" + ranges.get(i) + "' has bits set past its /" + prefix
                        + " prefix (expected: the range's first address, e.g. " + firstAddress(network, prefix)
                        + "/" + prefix + ")");
            }
            written.add(range);
            networks[i] = network;
            prefixes[i] = prefix;
        }
        return new TrustedProxies(List.copyOf(written), networks, prefixes);
    }

    /**
     * The bytes of an address as proxies write it in {@code X-Forwarded-For}: {@code 192.0.2.7},
     * {@code 2001:db8::7}, or with a port, {@code 192.0.2.7:4711} or {@code [2001:db8::7]:4711}; null for
     * anything else ({@code unknown}, an obfuscated name). Never a name lookup.
     */
    public static byte[] forwardedAddress(String entry) {
        String address = entry.strip();
        if (address.startsWith("[")) {
            int close = address.indexOf(']');
            if (close < 0 || (close != address.length() - 1 && address.charAt(close + 1) != ':')) {
                return null;
            }
            String inside = address.substring(1, close).toLowerCase(Locale.ROOT);
            return inside.indexOf(':') >= 0 ? literal(inside) : null; // brackets hold IPv6 only
        }
        int colon = address.indexOf(':');
        if (colon > 0 && colon == address.lastIndexOf(':')) {
            address = address.substring(0, colon); // IPv4 with a port
        }
        return literal(address.toLowerCase(Locale.ROOT));
    }

    /** The address bytes of an IP literal, or null; never a name lookup. */
    private static byte[] literal(String address) {
        boolean v4 = IPV4.matcher(address).matches();
        if (!v4 && !IPV6.matcher(address).matches()) {
            return null;
        }
        if (v4) {
            for (String octet : address.split("\\.")) {
                if (Integer.parseInt(octet) > 255) {
                    return null;
                }
            }
        }
        try {
            // A literal: parsed, not looked up. An IPv4-mapped IPv6 one comes back as its IPv4 address.
            return InetAddress.getByName(address).getAddress();
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }

    private static boolean zeroPast(byte[] network, int prefix) {
        for (int bit = prefix; bit < network.length * 8; bit++) {
            if ((network[bit >>> 3] & (0x80 >>> (bit & 7))) != 0) {
                return false;
            }
        }
        return true;
    }

    private static String firstAddress(byte[] network, int prefix) {
        byte[] first = network.clone();
        for (int bit = prefix; bit < first.length * 8; bit++) {
            first[bit >>> 3] &= (byte) ~(0x80 >>> (bit & 7));
        }
        try {
            return InetAddress.getByAddress(first).getHostAddress();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e); // cannot happen: 4 or 16 bytes
        }
    }

    public boolean isEmpty() {
        return networks.length == 0;
    }

    /** The ranges as written (lower case, without spaces): for /status and logs. */
    public List<String> ranges() {
        return ranges;
    }

    /** True when one range holds this address; an IPv4-mapped IPv6 address counts as its IPv4 one. */
    public boolean contains(byte[] address) {
        for (int i = 0; i < networks.length; i++) {
            byte[] network = networks[i];
            int offset = 0;
            if (network.length == 4 && address.length == 16) {
                if (!ipv4Mapped(address)) {
                    continue;
                }
                offset = 12;
            } else if (network.length != address.length) {
                continue;
            }
            if (matches(network, address, offset, prefixes[i])) {
                return true;
            }
        }
        return false;
    }

    /** True when the range is everything: every client may then claim any scheme or host. */
    boolean trustsEveryone() {
        for (int prefix : prefixes) {
            if (prefix == 0) {
                return true;
            }
        }
        return false;
    }

    private static boolean ipv4Mapped(byte[] address) {
        for (int i = 0; i < 10; i++) {
            if (address[i] != 0) {
                return false;
            }
        }
        return address[10] == (byte) 0xff && address[11] == (byte) 0xff;
    }

    private static boolean matches(byte[] network, byte[] address, int offset, int prefix) {
        int whole = prefix >>> 3;
        for (int i = 0; i < whole; i++) {
            if (network[i] != address[offset + i]) {
                return false;
            }
        }
        int rest = prefix & 7;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (network[whole] & mask) == (address[offset + whole] & mask);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TrustedProxies that && ranges.equals(that.ranges);
    }

    @Override
    public int hashCode() {
        return ranges.hashCode();
    }

    @Override
    public String toString() {
        return ranges.toString();
    }
}
