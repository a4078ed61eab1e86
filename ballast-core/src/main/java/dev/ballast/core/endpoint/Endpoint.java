package dev.ballast.core.endpoint;

import dev.ballast.core.config.WholeNumbers;

import java.util.Map;
import java.util.Objects;

/**
 * The identity of one copy of a service: where it is and how much traffic it should take. Immutable;
 * live state (in-flight requests, latency, health) lives apart in an {@code EndpointState} keyed by
 * {@link #address()}, so it survives rebuilds of the endpoint list.
 *
 * @param host     a host name, an IPv4 address or an IPv6 address (without brackets)
 * @param port     1..65535
 * @param weight   relative share of traffic, 1..10000
 * @param zone     locality label, or the empty string when unknown
 * @param metadata free-form labels (e.g. {@code version=v2}); never null
 */
public record Endpoint(String host, int port, int weight, String zone, Map<String, String> metadata) {

    public static final int MIN_WEIGHT = 1;
    public static final int MAX_WEIGHT = 10_000;
    public static final int DEFAULT_WEIGHT = 1;

    public Endpoint {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(metadata, "metadata");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host: empty (expected: a host name or an IP address)");
        }
        host = Ipv6Text.canonical(host); // [FD00:0::5] and [fd00::5] are one endpoint
        if (host.length() > 2 && host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.indexOf('[') >= 0 || host.indexOf(']') >= 0) {
            throw new IllegalArgumentException(
                    "host: '" + host + "' (expected: a host name or an IP address, IPv6 optionally in brackets)");
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("port: " + port + " out of range (expected: 1..65535)");
        }
        if (weight < MIN_WEIGHT || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException(
                    "weight: " + weight + " (expected: " + MIN_WEIGHT + ".." + MAX_WEIGHT + ")");
        }
        metadata = Map.copyOf(metadata);
    }

    /** An endpoint with the default weight, no zone and no metadata. */
    public static Endpoint of(String host, int port) {
        return new Endpoint(host, port, DEFAULT_WEIGHT, "", Map.of());
    }

    /**
     * Parses {@code host:port}, with IPv6 addresses in brackets ({@code [::1]:8080}).
     *
     * @throws IllegalArgumentException naming what is wrong and what was expected
     */
    public static Endpoint parse(String address) {
        Objects.requireNonNull(address, "address");
        String text = address.strip();
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                throw badAddress(address);
            }
            host = text.substring(1, close);
            port = text.substring(close + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon <= 0 || text.indexOf(':') != colon) {
                throw badAddress(address);
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
        }
        if (host.isEmpty() || port.length() > 9 || !WholeNumbers.isAsciiDigits(port)) {
            throw badAddress(address);
        }
        return of(host, Integer.parseInt(port));
    }

    private static IllegalArgumentException badAddress(String address) {
        return new IllegalArgumentException(
                "address: '" + address + "' (expected: host:port, with IPv6 in brackets as [::1]:8080)");
    }

    /** {@code host:port}, IPv6 hosts in brackets: the key of this endpoint's live state. */
    public String address() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    public Endpoint withWeight(int newWeight) {
        return new Endpoint(host, port, newWeight, zone, metadata);
    }

    public Endpoint withZone(String newZone) {
        return new Endpoint(host, port, weight, newZone, metadata);
    }

    public Endpoint withMetadata(Map<String, String> newMetadata) {
        return new Endpoint(host, port, weight, zone, newMetadata);
    }

    @Override
    public String toString() {
        return weight == DEFAULT_WEIGHT ? address() : address() + "(w=" + weight + ")";
    }
}
