package dev.ballast.proxy.config;

import dev.ballast.core.config.Durations;
import dev.ballast.core.config.HostPort;
import dev.ballast.core.config.Suggestions;
import dev.ballast.core.endpoint.Endpoint;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads the whole document into a {@link ProxyConfig}: listeners, admin, limits and drain timeout here;
 * upstreams and routes in their own readers; then the checks that span sections (address clashes,
 * route targets, unused upstreams, shadowed routes). Every default is the one the records document.
 */
final class ConfigReader {

    static final HostPort DEFAULT_ADMIN_ADDRESS = new HostPort("127.0.0.1", 9901);
    static final long DEFAULT_DRAIN_TIMEOUT_MILLIS = 30_000;

    private static final List<String> TOP_KEYS =
            List.of("listeners", "admin", "upstreams", "routes", "limits", "drain_timeout", "access_log",
                    "transport", "event_loops", "event_loop_slice", "event_loop_kernel_slice", "etcd", "via",
                    "trusted_proxies");
    private static final List<String> LISTENER_KEYS = List.of("name", "address");
    private static final List<String> ADMIN_KEYS = List.of("address", "token");
    private static final List<String> LIMIT_KEYS = List.of("max_header_size", "max_uri_length", "max_body_size",
            "header_read_timeout", "max_connections", "client_idle_timeout", "tunnel_idle_timeout",
            "client_stall_timeout", "max_header_count");
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final int ONE_GIB = 1 << 30;
    private static final int MAX_EVENT_LOOPS = 1024;

    private ConfigReader() {
    }

    /** The config; when problems has errors it is partial (defaults where values were wrong) or null. */
    static ProxyConfig read(Value root) {
        Optional<Section> maybeTop = root.section(TOP_KEYS);
        if (maybeTop.isEmpty()) {
            return null;
        }
        Section top = maybeTop.get();
        List<Located<ListenerConfig>> listeners = listeners(top);
        Located<AdminConfig> admin = admin(top);
        checkAddressClashes(listeners, admin, root.problems());

        EtcdCluster etcd = EtcdReader.cluster(top);
        Map<String, Located<UpstreamConfig>> upstreams = UpstreamReader.readAll(top.get("upstreams"), etcd,
                top.has("etcd"));
        if (etcd != null && !anyUpstreamHasDiscovery(top)) {
            top.get("etcd").orElseThrow().warn("no upstream has 'discovery: { etcd: ... }', so the cluster is not read");
        }
        List<Located<RouteConfig>> routes = RouteReader.readAll(top, upstreams.keySet());
        warnUnusedUpstreams(upstreams, routes, root.problems());
        warnMirrorsOntoServingEndpoints(upstreams, routes, root.problems());

        LimitsConfig limits = limits(top);
        long drainTimeout = top.duration("drain_timeout", DEFAULT_DRAIN_TIMEOUT_MILLIS, 0);
        AccessLogConfig accessLog = AccessLogReader.read(top);
        IoTransport transport = top.get("transport").flatMap(ConfigReader::transport).orElse(IoTransport.DEFAULT);
        int eventLoops = top.get("event_loops").flatMap(ConfigReader::eventLoops).orElse(ProxyConfig.AUTO);
        long eventLoopSlice = top.get("event_loop_slice").flatMap(value -> value.durationMicros(1_000_000, "1s"))
                .orElse(ProxyConfig.DEFAULT_EVENT_LOOP_SLICE_MICROS);
        long kernelSlice = top.get("event_loop_kernel_slice").flatMap(ConfigReader::kernelSlice)
                .orElse(ProxyConfig.DEFAULT_EVENT_LOOP_KERNEL_SLICE_MICROS);
        ViaConfig via = via(top);
        TrustedProxies trustedProxies = top.get("trusted_proxies").map(ConfigReader::trustedProxies)
                .orElse(TrustedProxies.NONE);

        Map<String, UpstreamConfig> upstreamConfigs = new LinkedHashMap<>();
        upstreams.forEach((name, upstream) -> upstreamConfigs.put(name, upstream.value()));
        return new ProxyConfig(listeners.stream().map(Located::value).toList(), admin.value(), upstreamConfigs,
                routes.stream().map(Located::value).toList(), limits, drainTimeout, accessLog, transport, eventLoops,
                via, eventLoopSlice, kernelSlice, trustedProxies);
    }

    /** {@code trusted_proxies: [10.0.0.0/8, 192.168.1.7]}: each range checked on its own line. */
    private static TrustedProxies trustedProxies(Value value) {
        List<Value> items = value.items("a list of IP addresses or CIDR ranges, like [10.0.0.0/8]").orElse(null);
        if (items == null) {
            return TrustedProxies.NONE;
        }
        List<String> ranges = new ArrayList<>();
        for (Value item : items) {
            item.word(TrustedProxies.EXPECTED).ifPresent(text -> {
                try {
                    TrustedProxies.of(List.of(text));
                    ranges.add(text);
                } catch (IllegalArgumentException e) {
                    item.error(e.getMessage());
                }
            });
        }
        TrustedProxies trusted = TrustedProxies.of(ranges);
        if (trusted.trustsEveryone()) {
            value.warn("a /0 range trusts every client, so any client can claim any scheme or host in"
                    + " X-Forwarded-Proto, X-Forwarded-Host and Forwarded (expected: the addresses of the proxies in"
                    + " front of Ballast only)");
        }
        return trusted;
    }

    /** {@code event_loop_kernel_slice}: 0, or within what Linux takes. */
    private static Optional<Long> kernelSlice(Value value) {
        return value.durationMicros(ProxyConfig.MAX_KERNEL_SLICE_MICROS, "100ms").filter(micros -> {
            if (micros != 0 && micros < ProxyConfig.MIN_KERNEL_SLICE_MICROS) {
                value.error("'" + value.text(Durations.EXPECTED_FINE).orElse("").strip() + "' is too short (expected:"
                        + " 0, or at least " + ProxyConfig.MIN_KERNEL_SLICE_MICROS + "us, the shortest slice Linux takes)");
                return false;
            }
            return true;
        });
    }

    /** {@code via: { enabled, pseudonym }}. */
    private static ViaConfig via(Section top) {
        Optional<Section> maybeVia = top.get("via").flatMap(value -> value.section(List.of("enabled", "pseudonym")));
        if (maybeVia.isEmpty()) {
            return ViaConfig.DEFAULT;
        }
        Section via = maybeVia.get();
        boolean enabled = via.get("enabled").flatMap(Value::bool).orElse(true);
        String pseudonym = via.get("pseudonym").flatMap(value -> value.word("a token or host[:port], e.g. ballast")
                .filter(text -> {
                    if (!ViaConfig.namesAProxy(text)) {
                        value.error("'" + text + "' cannot name a proxy in Via (expected: a token of letters, digits"
                                + " and !#$%&'*+-.^_`|~, or host[:port], at most 64 characters)");
                        return false;
                    }
                    return true;
                })).orElse(ViaConfig.DEFAULT_PSEUDONYM);
        return new ViaConfig(enabled, pseudonym);
    }

    /** True when some upstream has a {@code discovery} key, valid or not (an invalid one is reported already). */
    private static boolean anyUpstreamHasDiscovery(Section top) {
        return top.get("upstreams").map(upstreams -> upstreams.children().stream()
                .anyMatch(upstream -> upstream.hasKey("discovery"))).orElse(false);
    }

    /** {@code auto} (one per core, as 0 stands for) or a count. */
    private static Optional<Integer> eventLoops(Value value) {
        Optional<String> text = value.word("auto or a whole number " + 1 + ".." + MAX_EVENT_LOOPS);
        if (text.isPresent() && text.get().equals("auto")) {
            return Optional.of(ProxyConfig.AUTO);
        }
        return text.isEmpty() ? Optional.empty() : value.integer(1, MAX_EVENT_LOOPS);
    }

    private static Optional<IoTransport> transport(Value value) {
        String expected = String.join(", ", IoTransport.ids());
        return value.word(expected).flatMap(text -> {
            Optional<IoTransport> transport = IoTransport.byId(text);
            if (transport.isEmpty()) {
                value.error("unknown transport '" + text + "'" + Suggestions.hint(text, IoTransport.ids())
                        + " (expected: " + expected + ")");
            }
            return transport;
        });
    }

    private static List<Located<ListenerConfig>> listeners(Section top) {
        List<Value> items = top.required("listeners", "a list of {name, address}")
                .flatMap(value -> value.items("a list of {name, address}"))
                .orElse(null);
        if (items == null) {
            return List.of();
        }
        if (items.isEmpty()) {
            top.get("listeners").ifPresent(value -> value.error("no listeners (expected: at least one)"));
        }
        List<Located<ListenerConfig>> listeners = new ArrayList<>();
        Map<String, String> firstNamedAt = new HashMap<>();
        for (Value item : items) {
            item.section(LISTENER_KEYS).ifPresent(section -> {
                Optional<String> name = section.required("name", "a unique listener name").flatMap(Names::read);
                Optional<HostPort> address = section.required("address", "host:port to bind")
                        .flatMap(value -> address(value, 0));
                name.ifPresent(n -> {
                    String first = firstNamedAt.putIfAbsent(n, section.path() + ", line " + section.line());
                    if (first != null) {
                        section.get("name").orElseThrow()
                                .error("duplicate listener name '" + n + "' (also " + first + ")");
                    }
                });
                if (name.isEmpty() || address.isEmpty()) {
                    return;
                }
                listeners.add(new Located<>(new ListenerConfig(name.get(), address.get()), section.path(),
                        section.get("address").orElseThrow().line()));
            });
        }
        return listeners;
    }

    private static Located<AdminConfig> admin(Section top) {
        Optional<Section> maybeAdmin = top.get("admin").flatMap(value -> value.section(ADMIN_KEYS));
        if (maybeAdmin.isEmpty()) {
            return new Located<>(new AdminConfig(DEFAULT_ADMIN_ADDRESS, null), "admin", 0);
        }
        Section admin = maybeAdmin.get();
        HostPort address = admin.get("address").flatMap(value -> address(value, 0)).orElse(DEFAULT_ADMIN_ADDRESS);
        String token = admin.get("token").flatMap(value -> value.word("a secret, usually ${ADMIN_TOKEN}"))
                .orElse(null);
        if (token != null && !token.chars().allMatch(c -> c > ' ' && c < 0x7F)) {
            // Clients send headers as UTF-8 or Latin-1 as they please: only ASCII compares the same.
            admin.get("token").orElseThrow().error("the token has a space, a control or a non-ASCII character"
                    + " (expected: visible ASCII, as an Authorization header carries it; e.g. openssl rand -hex 32)");
            token = null;
        }
        // Issue 5: the admin API can reload config and drain endpoints, so off-host access needs a secret.
        if (token == null && !admin.has("token") && !isLoopback(address.host())) {
            admin.error("address " + address + " is reachable from other hosts, so 'token' is required"
                    + " (e.g. token: ${ADMIN_TOKEN}), or bind the admin API to 127.0.0.1");
        }
        int addressLine = admin.get("address").map(Value::line).orElse(admin.line());
        return new Located<>(new AdminConfig(address, token), Paths.key(admin.path(), "address"), addressLine);
    }

    private static Optional<HostPort> address(Value value, int minPort) {
        return value.parsed("host:port", text -> HostPort.parse(text, minPort));
    }

    /** Literal addresses only: a host name other than localhost may resolve anywhere, so it is not loopback. */
    static boolean isLoopback(String host) {
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        if (IPV4.matcher(host).matches()) {
            return host.startsWith("127.");
        }
        if (host.indexOf(':') >= 0) {
            try {
                // An IPv6 literal: parsed, never looked up.
                return InetAddress.getByName(host).isLoopbackAddress();
            } catch (UnknownHostException e) {
                return false;
            }
        }
        return false;
    }

    /** Two sockets cannot bind one port when the hosts are equal or either is a wildcard. */
    private static void checkAddressClashes(List<Located<ListenerConfig>> listeners, Located<AdminConfig> admin,
                                            Problems problems) {
        List<Located<HostPort>> addresses = new ArrayList<>();
        for (Located<ListenerConfig> listener : listeners) {
            // Listeners are located at their address line: that is what a clash is about.
            addresses.add(new Located<>(listener.value().address(), Paths.key(listener.path(), "address"),
                    listener.line()));
        }
        addresses.add(new Located<>(admin.value().address(), admin.path(), admin.line()));
        for (int later = 1; later < addresses.size(); later++) {
            for (int earlier = 0; earlier < later; earlier++) {
                Located<HostPort> a = addresses.get(earlier);
                Located<HostPort> b = addresses.get(later);
                if (clash(a.value(), b.value())) {
                    String other = a.path() + (a.line() > 0 ? ", line " + a.line() : "");
                    problems.error(b.path(), b.line(), a.value().equals(b.value())
                            ? "duplicate address " + b.value() + " (also " + other + ")"
                            : b.value() + " clashes with " + a.value() + " (" + other + "): both bind port "
                            + b.value().port());
                    break;
                }
            }
        }
    }

    /**
     * Equal hosts, a wildcard, or the same address however it is written: {@code localhost} and
     * {@code 127.0.0.1}, {@code [::1]} and {@code [0:0:0:0:0:0:0:1]}. A name counts as its first
     * address, the one a bind uses, and is looked up only for two sockets on one port, which is rare; a
     * name that does not resolve is left to the bind, which says so.
     */
    private static boolean clash(HostPort a, HostPort b) {
        if (a.port() != b.port() || a.port() == 0) {
            return false;
        }
        if (a.host().equalsIgnoreCase(b.host()) || isWildcard(a.host()) || isWildcard(b.host())) {
            return true;
        }
        try {
            InetAddress first = InetAddress.getByName(a.host());
            InetAddress second = InetAddress.getByName(b.host());
            return first.equals(second) || first.isAnyLocalAddress() || second.isAnyLocalAddress();
        } catch (UnknownHostException unresolved) {
            return false;
        }
    }

    private static boolean isWildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0");
    }

    private static void warnUnusedUpstreams(Map<String, Located<UpstreamConfig>> upstreams,
                                            List<Located<RouteConfig>> routes, Problems problems) {
        upstreams.forEach((name, upstream) -> {
            if (routes.stream().noneMatch(route -> route.value().uses(name))) {
                problems.warn(upstream.path(), upstream.line(), "not used by any route");
            }
        });
    }

    /**
     * A mirror upstream of another name may still list an endpoint of the route's own: that endpoint
     * would get each copied request twice, which mirroring to the route's own upstream (an error) is
     * refused for.
     */
    private static void warnMirrorsOntoServingEndpoints(Map<String, Located<UpstreamConfig>> upstreams,
                                                        List<Located<RouteConfig>> routes, Problems problems) {
        for (Located<RouteConfig> located : routes) {
            RouteConfig route = located.value();
            Located<UpstreamConfig> mirror = route.mirror() == null ? null : upstreams.get(route.mirror().upstream());
            if (mirror == null) {
                continue;
            }
            for (RouteConfig.Split side : route.targets()) {
                Located<UpstreamConfig> serving = upstreams.get(side.upstream());
                if (serving == null || side.weight() == 0 || serving == mirror) {
                    continue;
                }
                for (Endpoint endpoint : mirror.value().endpoints()) {
                    if (serving.value().endpoints().stream().anyMatch(e -> e.address().equalsIgnoreCase(endpoint.address()))) {
                        problems.warn(Paths.key(located.path(), "mirror"), located.line(), "copies go to "
                                + endpoint.address() + ", which also serves this route (in upstream '"
                                + side.upstream() + "'): it would get each copied request twice");
                    }
                }
            }
        }
    }

    private static LimitsConfig limits(Section top) {
        LimitsConfig d = LimitsConfig.defaults();
        Optional<Section> maybeLimits = top.get("limits").flatMap(value -> value.section(LIMIT_KEYS));
        if (maybeLimits.isEmpty()) {
            return d;
        }
        Section limits = maybeLimits.get();
        String positiveSize = "1 to 1GiB";
        return new LimitsConfig(
                (int) limits.size("max_header_size", d.maxHeaderSizeBytes(), 1, ONE_GIB, positiveSize),
                (int) limits.size("max_uri_length", d.maxUriLengthBytes(), 1, ONE_GIB, positiveSize),
                limits.size("max_body_size", d.maxBodySizeBytes(), 0, Long.MAX_VALUE, "0 for unlimited, or a size"),
                limits.duration("header_read_timeout", d.headerReadTimeoutMillis(), 1),
                limits.integer("max_connections", d.maxConnections(), 1, 10_000_000),
                limits.duration("client_idle_timeout", d.clientIdleTimeoutMillis(), 1),
                limits.duration("tunnel_idle_timeout", d.tunnelIdleTimeoutMillis(), 1),
                limits.duration("client_stall_timeout", d.clientStallTimeoutMillis(), 1),
                limits.integer("max_header_count", d.maxHeaderCount(), 1, 100_000));
    }
}
