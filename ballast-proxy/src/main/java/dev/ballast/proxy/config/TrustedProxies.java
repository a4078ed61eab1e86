package dev.ballast.proxy.config;

import io.netty.util.NetUtil;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

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
    /** The longest entry an address can be: a bracketed IPv6 address in its longest form and a port. */
    private static final int MAX_FORWARDED_ENTRY = 1 + 45 + 2 + 5;

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
     * anything else ({@code unknown}, an obfuscated name). Never a name lookup, and linear in the entry,
     * which a client may have written: it is read on an event loop.
     */
    public static byte[] forwardedAddress(String entry) {
        if (entry.length() > MAX_FORWARDED_ENTRY) {
            return null;
        }
        if (entry.startsWith("[")) {
            int close = entry.indexOf(']');
            if (close < 0 || (close != entry.length() - 1 && entry.charAt(close + 1) != ':')) {
                return null;
            }
            byte[] bytes = NetUtil.createByteArrayFromIpAddressString(entry.substring(1, close));
            return bytes != null && bytes.length == 16 ? bytes : null; // brackets hold IPv6 only
        }
        int colon = entry.indexOf(':');
        if (colon > 0 && colon == entry.lastIndexOf(':')) {
            return NetUtil.createByteArrayFromIpAddressString(entry.substring(0, colon)); // IPv4 with a port
        }
        return NetUtil.createByteArrayFromIpAddressString(entry);
    }

    /** The address bytes of an IP literal written plainly (no brackets, port or zone), or null. */
    private static byte[] literal(String address) {
        if (address.isEmpty() || address.indexOf('[') >= 0 || address.indexOf('%') >= 0) {
            return null;
        }
        return NetUtil.createByteArrayFromIpAddressString(address);
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
        return NetUtil.bytesToIpAddress(first);
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
