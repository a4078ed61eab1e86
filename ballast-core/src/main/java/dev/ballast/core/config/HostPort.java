package dev.ballast.core.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A {@code host:port} address as configuration spells it, IPv6 in brackets, with the messages both the
 * proxy and the client print: a bind address (port 0 asks the OS for a free port) or, with a lowest
 * port of 1, an endpoint to connect to.
 */
public record HostPort(String host, int port) {

    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?");
    // Leading zeros allowed, as Netty's check and the JDK's parser (which reads them as decimal) allow them.
    private static final Pattern IPV4 = Pattern.compile("((25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])\\.){3}"
            + "(25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])");
    private static final String EXPECTED = "host:port, like 127.0.0.1:8080 or [::1]:8080";

    /**
     * Parses {@code host:port} (IPv6 in brackets), port 0..65535.
     *
     * @throws IllegalArgumentException saying what is wrong and what was expected
     */
    public static HostPort parse(String text) {
        return parse(text, 0);
    }

    /** As {@link #parse(String)}, with the lowest port allowed (1 for addresses to connect to). */
    public static HostPort parse(String text, int minPort) {
        String address = text.strip();
        if (address.contains("://")) {
            throw new IllegalArgumentException("'" + address + "' is a URL (expected: " + EXPECTED + ", no scheme)");
        }
        String host;
        String port;
        if (address.startsWith("[")) {
            int close = address.indexOf(']');
            if (close < 0 || !address.startsWith(":", close + 1)) {
                throw new IllegalArgumentException("'" + address + "' is not host:port (expected: " + EXPECTED + ")");
            }
            host = address.substring(1, close);
            port = address.substring(close + 2);
            if (!host.contains(":") || !IPV6.matcher(host).matches() || !isIpv6Groups(host)) {
                throw new IllegalArgumentException("'" + host + "' in brackets is not an IPv6 address (expected:"
                        + " eight groups of up to four hex digits, '::' once for a run of zeros, like [fd00::1])");
            }
        } else {
            int colon = address.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("'" + address + "' has no port (expected: " + EXPECTED + ")");
            }
            if (address.indexOf(':') != colon) {
                throw new IllegalArgumentException("'" + address + "' is not host:port (expected: " + EXPECTED
                        + "; IPv6 addresses go in brackets)");
            }
            host = address.substring(0, colon);
            port = address.substring(colon + 1);
            if (host.isEmpty()) {
                throw new IllegalArgumentException("'" + address + "' has no host (expected: " + EXPECTED
                        + "; 0.0.0.0 for every interface)");
            }
            if (!HOST_NAME.matcher(host).matches()) {
                throw new IllegalArgumentException("'" + host + "' is not a host name or IP address");
            }
            String label = longestOrEmptyLabel(host);
            if (label.isEmpty()) {
                throw new IllegalArgumentException("'" + host + "' has an empty label ('..')");
            }
            if (label.length() > 63 || host.length() > 253) {
                throw new IllegalArgumentException("'" + abbreviated(host) + "' is too long for a host name (expected:"
                        + " labels of at most 63 characters, 253 in all, RFC 1035)");
            }
            String lastLabel = host.substring(host.lastIndexOf('.') + 1);
            if (!IPV4.matcher(host).matches() && WholeNumbers.isAsciiDigits(lastLabel)) {
                // No host name ends in an all-numeric label (RFC 3696 §2): this is a mistyped address.
                throw new IllegalArgumentException("'" + host + "' is not a valid IPv4 address");
            }
        }
        String range = minPort + "..65535";
        if (port.length() > 9 || !WholeNumbers.isAsciiDigits(port)) {
            throw new IllegalArgumentException("'" + port + "' is not a port number (expected: " + range + ")");
        }
        int number = Integer.parseInt(port);
        if (number < minPort || number > 65_535) {
            throw new IllegalArgumentException("port " + number + " out of range (expected: " + range + ")");
        }
        return new HostPort(host, number);
    }

    /** The empty label if the name has one, else its longest label. */
    /**
     * The groups of an IPv6 literal (its characters already checked): eight of one to four hex digits,
     * or fewer around one {@code ::}; the last two may be an IPv4 address. Else every connect to it
     * would fail later, as a mistyped IPv4 address would.
     */
    private static boolean isIpv6Groups(String literal) {
        int zone = literal.indexOf('%');
        String address = zone < 0 ? literal : literal.substring(0, zone);
        int gap = address.indexOf("::");
        if (gap >= 0 && address.indexOf("::", gap + 1) >= 0) {
            return false;
        }
        List<String> parts = new ArrayList<>();
        for (String side : gap < 0 ? List.of(address) : List.of(address.substring(0, gap), address.substring(gap + 2))) {
            if (!side.isEmpty()) {
                parts.addAll(Arrays.asList(side.split(":", -1)));
            }
        }
        int groups = 0;
        for (int i = 0; i < parts.size(); i++) {
            String part = parts.get(i);
            if (i == parts.size() - 1 && part.contains(".")) {
                if (!IPV4.matcher(part).matches()) {
                    return false;
                }
                groups += 2;
            } else if (part.isEmpty() || part.length() > 4 || part.contains(".")) {
                return false;
            } else {
                groups++;
            }
        }
        return gap >= 0 ? groups <= 7 : groups == 8;
    }

    private static String longestOrEmptyLabel(String host) {
        String longest = null;
        for (String label : host.split("\\.", -1)) {
            if (label.isEmpty()) {
                return label;
            }
            if (longest == null || label.length() > longest.length()) {
                longest = label;
            }
        }
        return longest;
    }

    private static String abbreviated(String host) {
        return host.length() <= 40 ? host : host.substring(0, 37) + "...";
    }

    /** True when the host is an IP address (IPv4, or IPv6 as given in brackets), false for a host name. */
    public boolean isIpAddress() {
        return host.indexOf(':') >= 0 || IPV4.matcher(host).matches();
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
