package dev.ballast.proxy.config;

import dev.ballast.core.config.HostHeaders;
import dev.ballast.core.config.HostPort;
import dev.ballast.core.config.Suggestions;
import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.pick.BalancerOptions;
import dev.ballast.core.pick.Policies;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads {@code upstreams}: each upstream's balancer, endpoints, timeouts, pool and Host header rule; the
 * resilience keys are {@link ResilienceReader}'s.
 */
final class UpstreamReader {

    static final String DEFAULT_BALANCER = Policies.ROUND_ROBIN;
    static final long DEFAULT_CONNECT_TIMEOUT_MILLIS = 1_000;
    static final long DEFAULT_RESPONSE_TIMEOUT_MILLIS = 15_000;
    static final long DEFAULT_IDLE_TIMEOUT_MILLIS = 60_000;

    private static final List<String> KEYS = Stream.concat(Stream.of("balancer", "hash_key", "bounded_load",
            "endpoints", "connect_timeout", "response_timeout", "idle_timeout", "pool", "host_header", "dns_refresh",
            "discovery"),
            ResilienceReader.KEYS.stream()).toList();
    private static final List<String> ENDPOINT_KEYS = List.of("address", "weight", "zone", "metadata", "resolve");
    /** {@code resolve}: {@code one} (the default) uses one address of the name, {@code all} every one. */
    private static final List<String> RESOLVE_MODES = List.of("one", "all");
    private static final List<String> POOL_KEYS = List.of("max_connections_per_endpoint", "max_idle_per_endpoint");
    private static final String ENDPOINT_EXPECTED =
            "host:port, or a mapping with address, weight, zone, metadata, resolve";

    private UpstreamReader() {
    }

    /**
     * Every upstream by name, in file order. An upstream with errors is still returned (with defaults
     * where values were wrong) so that routes naming it do not report a second, misleading error.
     */
    static Map<String, Located<UpstreamConfig>> readAll(Optional<Value> upstreams, EtcdCluster etcd,
                                                        boolean topHasEtcd) {
        Map<String, Located<UpstreamConfig>> byName = new LinkedHashMap<>();
        upstreams.flatMap(value -> value.entries("a mapping of upstream names to upstreams"))
                .orElse(Map.of())
                .forEach((name, value) -> {
                    if (!Names.valid(name)) {
                        value.error("'" + name + "' is not a valid upstream name (expected: " + Names.EXPECTED + ")");
                    }
                    byName.put(name, new Located<>(read(name, value, etcd, topHasEtcd), value.path(), value.line()));
                });
        return byName;
    }

    private static UpstreamConfig read(String name, Value value, EtcdCluster etcd, boolean topHasEtcd) {
        Section section = value.section(KEYS).orElse(null);
        if (section == null) {
            return new UpstreamConfig(name, DEFAULT_BALANCER, null, 0, List.of(), DEFAULT_CONNECT_TIMEOUT_MILLIS,
                    DEFAULT_RESPONSE_TIMEOUT_MILLIS, DEFAULT_IDLE_TIMEOUT_MILLIS, PoolConfig.defaults(),
                    UpstreamConfig.HOST_PRESERVE);
        }
        Optional<String> chosenBalancer = section.has("balancer")
                ? section.get("balancer").flatMap(UpstreamReader::balancer) : Optional.of(DEFAULT_BALANCER);
        String balancer = chosenBalancer.orElse(DEFAULT_BALANCER);
        HashKey hashKey = section.get("hash_key").flatMap(UpstreamReader::hashKey).orElse(null);
        double boundedLoad = section.get("bounded_load").flatMap(UpstreamReader::boundedLoad).orElse(0.0);
        // Not after a misspelt balancer: the user meant some other balancer, perhaps a hashing one.
        if (chosenBalancer.isPresent() && !Policies.isHashBased(balancer)) {
            // Harmless but surely not what the user meant: only the hash balancers read these keys.
            section.get("hash_key").ifPresent(key -> key.warn("ignored by balancer '" + balancer
                    + "' (only " + Policies.RING_HASH + " and " + Policies.MAGLEV + " use a hash key)"));
            section.get("bounded_load").ifPresent(key -> key.warn("ignored by balancer '" + balancer
                    + "' (only " + Policies.RING_HASH + " and " + Policies.MAGLEV + " bound loads)"));
        } else if (hashKey != null && hashKey.warning() != null) {
            section.get("hash_key").orElseThrow().warn(hashKey.warning());
        }
        Set<String> resolveAll = new HashSet<>();
        EtcdDiscoveryConfig discovery = section.get("discovery")
                .map(source -> EtcdReader.discovery(source, etcd, topHasEtcd)).orElse(null);
        List<Endpoint> endpoints = endpoints(section, resolveAll, section.has("discovery"));
        long connectTimeout = section.duration("connect_timeout", DEFAULT_CONNECT_TIMEOUT_MILLIS, 1);
        long responseTimeout = section.duration("response_timeout", DEFAULT_RESPONSE_TIMEOUT_MILLIS, 1);
        long idleTimeout = section.duration("idle_timeout", DEFAULT_IDLE_TIMEOUT_MILLIS, 1);
        PoolConfig pool = section.get("pool").flatMap(UpstreamReader::pool).orElse(PoolConfig.defaults());
        String hostHeader = section.get("host_header").flatMap(UpstreamReader::hostHeader)
                .orElse(UpstreamConfig.HOST_PRESERVE);
        long dnsRefresh = section.duration("dns_refresh", UpstreamConfig.DEFAULT_DNS_REFRESH_MILLIS, 0);
        if (dnsRefresh == 0 && !resolveAll.isEmpty()) {
            section.get("dns_refresh").orElseThrow().warn("0 with resolve: all: the addresses of "
                    + String.join(", ", resolveAll.stream().sorted().toList())
                    + " are looked up only at start and at reloads, so instances that come and go are not followed");
        }
        ResilienceConfig resilience = ResilienceReader.read(section, responseTimeout);
        if (chosenBalancer.isPresent() && !Policies.usesWeights(balancer) && !resilience.slowStart().isZero()) {
            // As hash_key above: harmless, but the user meant new endpoints to take traffic gradually.
            section.get("slow_start").orElseThrow().warn("ignored by balancer '" + balancer + "' (only those that use"
                    + " weights ramp up: " + String.join(", ", Policies.ids().stream().filter(Policies::usesWeights)
                    .toList()) + ")");
        }
        return new UpstreamConfig(name, balancer, hashKey, boundedLoad, endpoints, connectTimeout, responseTimeout,
                idleTimeout, pool, hostHeader, resilience, dnsRefresh, resolveAll, discovery);
    }

    private static Optional<String> balancer(Value value) {
        return value.word("a balancer id").filter(id -> {
            if (Policies.ids().contains(id)) {
                return true;
            }
            value.error("unknown balancer '" + id + "'" + Suggestions.hint(id, Policies.ids())
                    + " (expected one of: " + String.join(", ", Policies.ids()) + ")");
            return false;
        });
    }

    private static Optional<HashKey> hashKey(Value value) {
        return value.parsed(HashKey.EXPECTED, HashKey::parse);
    }

    /** {@code true} asks for the usual factor, {@code false} or 0 turns the bound off. */
    private static Optional<Double> boundedLoad(Value value) {
        String expected = "0 for off, true for " + BalancerOptions.defaultBoundedLoadFactor()
                + ", or a factor of at least 1.0";
        return value.word(expected).flatMap(text -> {
            if (text.equals("true")) {
                return Optional.of(BalancerOptions.defaultBoundedLoadFactor());
            }
            if (text.equals("false")) {
                return Optional.of(0.0);
            }
            double factor;
            try {
                factor = Double.parseDouble(text);
            } catch (NumberFormatException e) {
                value.error("'" + text + "' is not a number (expected: " + expected + ")");
                return Optional.empty();
            }
            if (factor != 0 && !(factor >= 1.0 && factor <= 100)) {
                value.error(text + " out of range (expected: " + expected + ", at most 100)");
                return Optional.empty();
            }
            return Optional.of(factor);
        });
    }

    /**
     * The endpoints of {@code section}; those marked {@code resolve: all} also go into {@code resolveAll}.
     * None is a warning, unless {@code discovered} (the upstream's {@code discovery} brings them).
     */
    private static List<Endpoint> endpoints(Section section, Set<String> resolveAll, boolean discovered) {
        Optional<Value> endpointsValue = section.get("endpoints");
        List<Value> items = endpointsValue.isEmpty() ? List.of()
                : endpointsValue.get().items("a list of endpoints (" + ENDPOINT_EXPECTED + ")").orElse(null);
        if (items == null) {
            return List.of();
        }
        if (items.isEmpty() && !discovered) {
            // Allowed so endpoints can be added by a reload or discovery later; until then requests get 503.
            String message = "no endpoints: every request routed here gets 503 until endpoints are added";
            endpointsValue.ifPresentOrElse(value -> value.warn(message), () -> section.warn(message));
        }
        List<Endpoint> endpoints = new ArrayList<>();
        // Host names are case-insensitive (RFC 4343): API.internal:80 and api.internal:80 are one endpoint.
        Map<String, Value> firstByAddress = new HashMap<>();
        Map<String, String> spelledFirst = new HashMap<>();
        for (Value item : items) {
            endpoint(item, resolveAll).ifPresent(endpoint -> {
                String key = endpoint.address().toLowerCase(Locale.ROOT);
                Value first = firstByAddress.putIfAbsent(key, item);
                if (first != null) {
                    String spelled = spelledFirst.get(key);
                    item.error("duplicate endpoint " + endpoint.address() + " (also " + first.path()
                            + (spelled.equals(endpoint.address()) ? "" : " as " + spelled + ": host names are"
                            + " case-insensitive") + ", line " + first.line() + ")");
                    return;
                }
                spelledFirst.put(key, endpoint.address());
                endpoints.add(endpoint);
            });
        }
        return endpoints;
    }

    private static Optional<Endpoint> endpoint(Value item, Set<String> resolveAll) {
        if (!item.isMapping()) {
            return endpointAddress(item).map(address -> Endpoint.of(address.host(), address.port()));
        }
        Section section = item.section(ENDPOINT_KEYS).orElseThrow();
        Optional<HostPort> address = section.required("address", "host:port").flatMap(UpstreamReader::endpointAddress);
        int weight = section.integer("weight", Endpoint.DEFAULT_WEIGHT, Endpoint.MIN_WEIGHT, Endpoint.MAX_WEIGHT);
        String zone = section.get("zone").flatMap(value -> value.text("a zone name")).orElse("");
        Map<String, String> metadata = section.get("metadata")
                .map(value -> value.strings("a mapping of labels to values")).orElse(Map.of());
        boolean all = section.get("resolve").flatMap(UpstreamReader::resolveMode).orElse("one").equals("all");
        if (all && address.isPresent()) {
            if (address.get().isIpAddress()) {
                section.get("resolve").orElseThrow().error("'all' needs a host name, and " + address.get().host()
                        + " is an IP address (expected: one, or a host name in address)");
            } else {
                resolveAll.add(address.get().toString());
                if (metadata.containsKey(UpstreamConfig.DNS_NAME_LABEL)) {
                    section.get("metadata").orElseThrow().warn("label '" + UpstreamConfig.DNS_NAME_LABEL
                            + "' is replaced by the host name on each address that resolve: all makes an endpoint");
                }
            }
        }
        return address.map(a -> new Endpoint(a.host(), a.port(), weight, zone.strip(), metadata));
    }

    private static Optional<String> resolveMode(Value value) {
        String expected = String.join(", ", RESOLVE_MODES);
        return value.word(expected).filter(mode -> {
            if (!RESOLVE_MODES.contains(mode)) {
                value.error("unknown resolve mode '" + mode + "'" + Suggestions.hint(mode, RESOLVE_MODES)
                        + " (expected: " + expected + ")");
                return false;
            }
            return true;
        });
    }

    private static Optional<HostPort> endpointAddress(Value value) {
        return value.parsed(ENDPOINT_EXPECTED, text -> HostPort.parse(text, 1));
    }

    private static Optional<PoolConfig> pool(Value value) {
        return value.section(POOL_KEYS).map(section -> {
            PoolConfig d = PoolConfig.defaults();
            int max = section.integer("max_connections_per_endpoint", d.maxConnectionsPerEndpoint(), 1, 1_000_000);
            int idle = section.integer("max_idle_per_endpoint", Math.min(d.maxIdlePerEndpoint(), max), 0, 1_000_000);
            if (idle > max) {
                section.get("max_idle_per_endpoint").orElseThrow().error(idle
                        + " is more than max_connections_per_endpoint " + max + " (expected: 0.." + max + ")");
            }
            return new PoolConfig(max, idle);
        });
    }

    private static Optional<String> hostHeader(Value value) {
        return value.word(HostHeaders.EXPECTED).filter(text -> {
            String problem = HostHeaders.problem(text);
            if (problem != null) {
                value.error(problem);
            }
            return problem == null;
        });
    }
}
