package dev.ballast.client.internal;

import dev.ballast.core.config.HashKeyNames;
import dev.ballast.core.config.HostHeaders;
import dev.ballast.core.config.HostPort;
import dev.ballast.core.config.Suggestions;
import dev.ballast.client.ServiceConfig;
import dev.ballast.client.ServiceConfig.HashKey;
import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.pick.BalancerOptions;
import dev.ballast.core.pick.Policies;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads the proxy's {@code upstreams} section, as a generic map, into {@link ServiceConfig}s: the
 * same keys, defaults, units, rules and messages as the proxy's {@code UpstreamReader} (the resilience
 * keys are {@link ResilienceReader}'s). Keys that only mean something to the proxy ({@code idle_timeout},
 * {@code pool}, {@code host_header}, {@code dns_refresh}) are validated and then ignored, so a file one accepts the other
 * accepts too. Every problem is collected; if there are any, one {@link IllegalArgumentException}
 * lists them all, one per line, each with its path. The proxy's warnings are logged at WARN.
 *
 * <p>Not API: {@code dev.ballast.client.ServiceConfigs} is.
 */
public final class UpstreamReader {

    private static final Logger log = LoggerFactory.getLogger(UpstreamReader.class);

    static final String ROOT = "upstreams";
    static final long DEFAULT_CONNECT_TIMEOUT_MILLIS = 1_000;
    static final long DEFAULT_RESPONSE_TIMEOUT_MILLIS = 15_000;

    private static final List<String> KEYS = Stream.concat(Stream.of("balancer", "hash_key", "bounded_load",
            "endpoints", "connect_timeout", "response_timeout", "idle_timeout", "pool", "host_header", "dns_refresh",
            "discovery"), ResilienceReader.KEYS.stream()).toList();
    private static final List<String> ENDPOINT_KEYS = List.of("address", "weight", "zone", "metadata", "resolve");
    private static final List<String> RESOLVE_MODES = List.of("one", "all");
    private static final List<String> POOL_KEYS = List.of("max_connections_per_endpoint", "max_idle_per_endpoint");
    private static final String ENDPOINT_EXPECTED =
            "host:port, or a mapping with address, weight, zone, metadata, resolve";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,62}");
    private static final String NAME_EXPECTED = "letters, digits, '-' and '_', starting with a letter or digit, up to 63 characters";
    private static final String HASH_KEY_EXPECTED = "header:NAME, cookie:NAME, query:NAME, client-ip or path";

    private UpstreamReader() {
    }

    /**
     * Every upstream of {@code upstreams} (the value of the top-level key), in the map's order.
     *
     * @param env looks up a variable for {@code ${NAME}}; returns null when it is not set
     * @throws IllegalArgumentException listing every problem, one per line, each with its path
     */
    public static List<ServiceConfig> readAll(Map<String, ?> upstreams, Function<String, String> env) {
        return readAll(upstreams, env, UpstreamReader::logWarning);
    }

    /** As {@link #readAll(Map, Function)}, handing each warning ({@code path: message}) to {@code warnings}. */
    static List<ServiceConfig> readAll(Map<String, ?> upstreams, Function<String, String> env,
            Consumer<String> warnings) {
        Objects.requireNonNull(env, "env");
        Problems problems = new Problems();
        List<ServiceConfig> configs = new ArrayList<>();
        new Value(upstreams, ROOT, problems, env).entries("a mapping of upstream names to upstreams")
                .orElse(Map.of())
                .forEach((name, value) -> read(name, value).ifPresent(configs::add));
        return finish(problems, configs, warnings);
    }

    /**
     * The upstream {@code name} of {@code upstreams}; {@code upstream} is its value (null reads as an
     * upstream with every default, as {@code name:} with nothing after it does in the proxy).
     *
     * @throws IllegalArgumentException listing every problem, one per line, each with its path
     */
    public static ServiceConfig read(String name, Map<String, ?> upstream, Function<String, String> env) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(env, "env");
        Problems problems = new Problems();
        Optional<ServiceConfig> config = read(name, new Value(upstream, Paths.key(ROOT, name), problems, env));
        return finish(problems, config.stream().toList(), UpstreamReader::logWarning).getFirst();
    }

    private static void logWarning(String warning) {
        log.warn("{}", warning);
    }

    private static List<ServiceConfig> finish(Problems problems, List<ServiceConfig> configs,
            Consumer<String> warnings) {
        problems.warnings().forEach(warnings);
        if (problems.errorCount() > 0) {
            List<String> errors = problems.errors();
            throw new IllegalArgumentException(errors.size() + (errors.size() == 1 ? " problem" : " problems")
                    + " in " + ROOT + ":\n" + String.join("\n", errors));
        }
        return List.copyOf(configs);
    }

    /** The upstream, or empty when it has errors (each recorded). */
    private static Optional<ServiceConfig> read(String name, Value value) {
        int errorsBefore = value.problems().errorCount();
        if (!NAME.matcher(name).matches()) {
            value.error("'" + name + "' is not a valid upstream name (expected: " + NAME_EXPECTED + ")");
        }
        Optional<Section> maybeSection = value.section(KEYS);
        if (maybeSection.isEmpty()) {
            return Optional.empty();
        }
        Section section = maybeSection.get();
        ServiceConfig.Builder builder = ServiceConfig.builder(name);

        Optional<String> chosenBalancer = section.has("balancer")
                ? section.get("balancer").flatMap(UpstreamReader::balancer) : Optional.of(Policies.ROUND_ROBIN);
        String balancer = chosenBalancer.orElse(Policies.ROUND_ROBIN);
        Optional<HashKeySpec> hashKey = section.get("hash_key").flatMap(UpstreamReader::hashKey);
        double boundedLoad = section.get("bounded_load").flatMap(UpstreamReader::boundedLoad).orElse(0.0);
        builder.balancer(balancer);
        if (Policies.isHashBased(balancer)) {
            hashKey.ifPresent(spec -> {
                if (spec.key() != null) {
                    builder.hashKey(spec.key().toString());
                    if (spec.key().source() == HashKey.Source.QUERY) {
                        String warning = HashKeyNames.encodedQueryNameWarning(spec.key().name());
                        if (warning != null) { // as the proxy warns: query:page%5Bid%5D would match nothing
                            section.get("hash_key").orElseThrow().warn(warning);
                        }
                    }
                } else {
                    section.get("hash_key").orElseThrow().warn("client-ip has no meaning in a client: calls are"
                            + " hashed on ClientRequest.hashKey(...) when set, else spread at random");
                }
            });
            builder.boundedLoad(boundedLoad);
        } else if (chosenBalancer.isPresent()) {
            // Not after a misspelt balancer: the user meant some other balancer, perhaps a hashing one.
            section.get("hash_key").ifPresent(key -> key.warn("ignored by balancer '" + balancer
                    + "' (only " + Policies.RING_HASH + " and " + Policies.MAGLEV + " use a hash key)"));
            section.get("bounded_load").ifPresent(key -> key.warn("ignored by balancer '" + balancer
                    + "' (only " + Policies.RING_HASH + " and " + Policies.MAGLEV + " bound loads)"));
        }
        builder.endpoints(endpoints(section));
        long responseTimeout = section.duration("response_timeout", DEFAULT_RESPONSE_TIMEOUT_MILLIS, 1);
        builder.connectTimeout(Duration.ofMillis(section.duration("connect_timeout", DEFAULT_CONNECT_TIMEOUT_MILLIS, 1)))
                .responseTimeout(Duration.ofMillis(responseTimeout));

        // The proxy's own keys: checked by its rules so both accept the same file, then left out.
        section.duration("idle_timeout", 0, 1);
        section.get("pool").ifPresent(UpstreamReader::pool);
        section.get("host_header").ifPresent(UpstreamReader::hostHeader);
        section.duration("dns_refresh", 0, 0); // HttpClient looks a name up for each new connection
        section.get("discovery").ifPresent(UpstreamReader::discovery);

        Duration slowStart = ResilienceReader.read(section, builder);
        if (chosenBalancer.isPresent() && !Policies.usesWeights(balancer) && !slowStart.isZero()) {
            // As hash_key above: harmless, but the user meant new endpoints to take traffic gradually.
            section.get("slow_start").orElseThrow().warn("ignored by balancer '" + balancer + "' (only those that"
                    + " use weights ramp up: " + String.join(", ", Policies.ids().stream().filter(Policies::usesWeights)
                    .toList()) + ")");
        }

        if (value.problems().errorCount() > errorsBefore) {
            return Optional.empty();
        }
        try {
            return Optional.of(builder.build());
        } catch (IllegalArgumentException e) {
            // Checked above already; should the record grow a rule of its own, still one message per problem.
            e.getMessage().lines().forEach(value::error);
            return Optional.empty();
        }
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

    /** A parsed {@code hash_key}; {@code key} is null for {@code client-ip}, which a client cannot read. */
    private record HashKeySpec(HashKey key) {
    }

    private static Optional<HashKeySpec> hashKey(Value value) {
        return value.word(HASH_KEY_EXPECTED).flatMap(key -> {
            switch (key) {
                case "client-ip":
                    return Optional.of(new HashKeySpec(null));
                case "path":
                    return Optional.of(new HashKeySpec(new HashKey(HashKey.Source.PATH, "")));
                default:
                    break;
            }
            int colon = key.indexOf(':');
            HashKey.Source source = colon < 0 ? null : switch (key.substring(0, colon).toLowerCase(Locale.ROOT)) {
                case "header" -> HashKey.Source.HEADER;
                case "cookie" -> HashKey.Source.COOKIE;
                case "query" -> HashKey.Source.QUERY;
                default -> null;
            };
            if (source == null) {
                value.error("'" + key + "' is not a hash key (expected: " + HASH_KEY_EXPECTED + ")");
                return Optional.empty();
            }
            String name = key.substring(colon + 1).strip();
            if (name.isEmpty()) {
                value.error("'" + key + "': '' is not a valid " + source.name().toLowerCase(Locale.ROOT)
                        + " name (expected: " + HASH_KEY_EXPECTED + ")");
                return Optional.empty();
            }
            try {
                return Optional.of(new HashKeySpec(new HashKey(source, name)));
            } catch (IllegalArgumentException e) {
                // The name broke HashKey's rule (the core's HashKeyNames, the proxy's too): a header or cookie
                // name that is no token, a query name with a delimiter or control character. With its line.
                value.error(e.getMessage().replaceFirst("^hash_key: ", ""));
                return Optional.empty();
            }
        });
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

    private static List<Endpoint> endpoints(Section section) {
        Optional<Value> endpointsValue = section.get("endpoints");
        List<Value> items = endpointsValue.isEmpty() ? List.of()
                : endpointsValue.get().items("a list of endpoints (" + ENDPOINT_EXPECTED + ")").orElse(List.of());
        // No endpoints is allowed, as in the proxy: client.setEndpoints (discovery) fills them in later.
        List<Endpoint> endpoints = new ArrayList<>();
        // Host names are case-insensitive (RFC 4343): API.internal:80 and api.internal:80 are one endpoint.
        Map<String, Value> firstByAddress = new HashMap<>();
        Map<String, String> spelledFirst = new HashMap<>();
        for (Value item : items) {
            endpoint(item).ifPresent(endpoint -> {
                String key = endpoint.address().toLowerCase(Locale.ROOT);
                Value first = firstByAddress.putIfAbsent(key, item);
                if (first != null) {
                    String spelled = spelledFirst.get(key);
                    item.error("duplicate endpoint " + endpoint.address() + " (also " + first.path()
                            + (spelled.equals(endpoint.address()) ? "" : " as " + spelled + ": host names are"
                            + " case-insensitive") + ")");
                    return;
                }
                spelledFirst.put(key, endpoint.address());
                endpoints.add(endpoint);
            });
        }
        return endpoints;
    }

    private static Optional<Endpoint> endpoint(Value item) {
        if (!item.isMapping()) {
            return endpointAddress(item).map(address -> Endpoint.of(address.host(), address.port()));
        }
        Section section = item.section(ENDPOINT_KEYS).orElseThrow();
        Optional<HostPort> address = section.required("address", "host:port").flatMap(UpstreamReader::endpointAddress);
        int weight = section.integer("weight", Endpoint.DEFAULT_WEIGHT, Endpoint.MIN_WEIGHT, Endpoint.MAX_WEIGHT);
        String zone = section.get("zone").flatMap(value -> value.text("a zone name")).orElse("");
        Map<String, String> metadata = section.get("metadata")
                .map(value -> value.strings("a mapping of labels to values")).orElse(Map.of());
        section.get("resolve").ifPresent(value -> resolve(value, address));
        return address.map(a -> new Endpoint(a.host(), a.port(), weight, zone.strip(), metadata));
    }

    /** {@code resolve}: checked as the proxy does; only the proxy makes a name's addresses endpoints of their own. */
    private static void resolve(Value value, Optional<HostPort> address) {
        String expected = String.join(", ", RESOLVE_MODES);
        value.word(expected).ifPresent(mode -> {
            if (!RESOLVE_MODES.contains(mode)) {
                value.error("unknown resolve mode '" + mode + "'" + Suggestions.hint(mode, RESOLVE_MODES)
                        + " (expected: " + expected + ")");
            } else if (mode.equals("all") && address.isPresent() && address.get().isIpAddress()) {
                value.error("'all' needs a host name, and " + address.get().host()
                        + " is an IP address (expected: one, or a host name in address)");
            } else if (mode.equals("all")) {
                value.warn("'all' is read by the proxy only: here the name is one endpoint, and HttpClient "
                        + "connects to one of its addresses");
            }
        });
    }

    /**
     * {@code discovery}: checked as the proxy does; the client does not follow it from the file (the
     * cluster is the proxy's top-level {@code etcd} key, which a client is not given): {@code discover} does.
     */
    private static void discovery(Value value) {
        value.section(List.of("etcd")).ifPresent(section -> section.required("etcd", "{ prefix: /key/prefix/ }")
                .flatMap(etcd -> etcd.section(List.of("prefix")))
                .flatMap(etcd -> etcd.required("prefix", "the key prefix of the upstream's endpoints, e.g. /services/api/"))
                .ifPresent(prefix -> prefix.text("a key prefix, e.g. /services/api/").ifPresent(text -> {
                    if (text.isEmpty()) {
                        prefix.error("an empty prefix would read every key of the cluster (expected: a key prefix,"
                                + " e.g. /services/api/)");
                    } else {
                        value.warn("read by the proxy only: a client follows it with BallastClient.discover"
                                + " (the etcd EndpointSource, given the cluster's URLs)");
                    }
                })));
    }

    private static Optional<HostPort> endpointAddress(Value value) {
        return value.parsed(ENDPOINT_EXPECTED, text -> {
            HostPort address = HostPort.parse(text, 1);
            UriHost.check(address.toString());
            return address;
        });
    }

    /** {@code pool}: the proxy's connection pools; {@code HttpClient} keeps its own. Checked only. */
    private static void pool(Value value) {
        value.section(POOL_KEYS).ifPresent(section -> {
            int max = section.integer("max_connections_per_endpoint", 1024, 1, 1_000_000);
            int idle = section.integer("max_idle_per_endpoint", Math.min(64, max), 0, 1_000_000);
            if (idle > max) {
                section.get("max_idle_per_endpoint").orElseThrow().error(idle
                        + " is more than max_connections_per_endpoint " + max + " (expected: 0.." + max + ")");
            }
        });
    }

    /** {@code host_header}: {@code HttpClient} sets {@code Host} itself. Checked only, by the proxy's rule. */
    private static void hostHeader(Value value) {
        value.word(HostHeaders.EXPECTED).map(HostHeaders::problem).ifPresent(value::error);
    }
}
