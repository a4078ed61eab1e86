package dev.ballast.proxy.config;

import java.util.List;
import java.util.Map;

/**
 * The whole proxy configuration: parsed from YAML at the edge, validated once, immutable. The rest
 * of the proxy never sees YAML. See docs/configuration.md for every key.
 *
 * @param listeners   {@code listeners}: where client traffic is accepted (at least one)
 * @param admin       {@code admin}: the admin listener
 * @param upstreams   {@code upstreams}: by name, in file order
 * @param routes      {@code routes}: first match wins, in file order
 * @param limits      {@code limits}: protections against bad or slow clients
 * @param drainTimeoutMillis {@code drain_timeout}: on shutdown, how long in-flight requests may finish
 * @param accessLog   {@code access_log}: one JSON line per request; off by default
 * @param transport   {@code transport}: the kernel interface for sockets; epoll by default
 * @param eventLoops  {@code event_loops}: threads serving connections; 0 for one per core (the default)
 * @param via         {@code via}: the Via header added to forwarded requests
 * @param eventLoopSliceMicros {@code event_loop_slice}: how long an event loop works before it lets
 *                    another thread waiting for its core run; 0 never
 * @param eventLoopKernelSliceMicros {@code event_loop_kernel_slice}: the scheduler slice each event loop
 *                    asks Linux for; 0 leaves the kernel's default
 * @param trustedProxies {@code trusted_proxies}: the proxies in front whose forwarding headers are kept
 */
public record ProxyConfig(
        List<ListenerConfig> listeners,
        AdminConfig admin,
        Map<String, UpstreamConfig> upstreams,
        List<RouteConfig> routes,
        LimitsConfig limits,
        long drainTimeoutMillis,
        AccessLogConfig accessLog,
        IoTransport transport,
        int eventLoops,
        ViaConfig via,
        long eventLoopSliceMicros,
        long eventLoopKernelSliceMicros,
        TrustedProxies trustedProxies) {

    /** {@code event_loops: auto}: one event loop per core. */
    public static final int AUTO = 0;
    /** {@code event_loop_slice} unless set: well under a scheduler tick (4 ms at 250 Hz). */
    public static final long DEFAULT_EVENT_LOOP_SLICE_MICROS = 500;
    /** {@code event_loop_kernel_slice}: the shortest and longest slice Linux takes (6.12 and later). */
    public static final long MIN_KERNEL_SLICE_MICROS = 100;
    public static final long MAX_KERNEL_SLICE_MICROS = 100_000;
    /** {@code event_loop_kernel_slice} unless set: the shortest Linux takes. */
    public static final long DEFAULT_EVENT_LOOP_KERNEL_SLICE_MICROS = MIN_KERNEL_SLICE_MICROS;

    public ProxyConfig {
        listeners = List.copyOf(listeners);
        upstreams = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(upstreams));
        routes = List.copyOf(routes);
        java.util.Objects.requireNonNull(accessLog, "accessLog");
        java.util.Objects.requireNonNull(transport, "transport");
        java.util.Objects.requireNonNull(via, "via");
        java.util.Objects.requireNonNull(trustedProxies, "trustedProxies");
        if (eventLoops < 0) {
            throw new IllegalArgumentException("eventLoops: " + eventLoops + " (expected: >= 0)");
        }
        if (eventLoopSliceMicros < 0) {
            throw new IllegalArgumentException("eventLoopSliceMicros: " + eventLoopSliceMicros + " (expected: >= 0)");
        }
        if (eventLoopKernelSliceMicros != 0 && (eventLoopKernelSliceMicros < MIN_KERNEL_SLICE_MICROS
                || eventLoopKernelSliceMicros > MAX_KERNEL_SLICE_MICROS)) {
            throw new IllegalArgumentException("eventLoopKernelSliceMicros: " + eventLoopKernelSliceMicros
                    + " (expected: 0 or " + MIN_KERNEL_SLICE_MICROS + ".." + MAX_KERNEL_SLICE_MICROS + ")");
        }
    }

    /** A configuration that trusts no proxy in front. */
    public ProxyConfig(List<ListenerConfig> listeners, AdminConfig admin, Map<String, UpstreamConfig> upstreams,
                       List<RouteConfig> routes, LimitsConfig limits, long drainTimeoutMillis,
                       AccessLogConfig accessLog, IoTransport transport, int eventLoops, ViaConfig via,
                       long eventLoopSliceMicros, long eventLoopKernelSliceMicros) {
        this(listeners, admin, upstreams, routes, limits, drainTimeoutMillis, accessLog, transport, eventLoops, via,
                eventLoopSliceMicros, eventLoopKernelSliceMicros, TrustedProxies.NONE);
    }

    /** A configuration with the default kernel slice. */
    public ProxyConfig(List<ListenerConfig> listeners, AdminConfig admin, Map<String, UpstreamConfig> upstreams,
                       List<RouteConfig> routes, LimitsConfig limits, long drainTimeoutMillis,
                       AccessLogConfig accessLog, IoTransport transport, int eventLoops, ViaConfig via,
                       long eventLoopSliceMicros) {
        this(listeners, admin, upstreams, routes, limits, drainTimeoutMillis, accessLog, transport, eventLoops, via,
                eventLoopSliceMicros, DEFAULT_EVENT_LOOP_KERNEL_SLICE_MICROS);
    }

    /** A configuration with the default event loop slice. */
    public ProxyConfig(List<ListenerConfig> listeners, AdminConfig admin, Map<String, UpstreamConfig> upstreams,
                       List<RouteConfig> routes, LimitsConfig limits, long drainTimeoutMillis,
                       AccessLogConfig accessLog, IoTransport transport, int eventLoops, ViaConfig via) {
        this(listeners, admin, upstreams, routes, limits, drainTimeoutMillis, accessLog, transport, eventLoops, via,
                DEFAULT_EVENT_LOOP_SLICE_MICROS);
    }

    /** A configuration with one event loop per core. */
    public ProxyConfig(List<ListenerConfig> listeners, AdminConfig admin, Map<String, UpstreamConfig> upstreams,
                       List<RouteConfig> routes, LimitsConfig limits, long drainTimeoutMillis,
                       AccessLogConfig accessLog, IoTransport transport) {
        this(listeners, admin, upstreams, routes, limits, drainTimeoutMillis, accessLog, transport, AUTO);
    }

    /** A configuration that sends the default {@code Via}. */
    public ProxyConfig(List<ListenerConfig> listeners, AdminConfig admin, Map<String, UpstreamConfig> upstreams,
                       List<RouteConfig> routes, LimitsConfig limits, long drainTimeoutMillis,
                       AccessLogConfig accessLog, IoTransport transport, int eventLoops) {
        this(listeners, admin, upstreams, routes, limits, drainTimeoutMillis, accessLog, transport, eventLoops,
                ViaConfig.DEFAULT);
    }

    /** The longest etcd timeout among the upstreams with {@code discovery}: how long their first reads may take. */
    public long discoveryTimeoutMillis() {
        return upstreams.values().stream().filter(upstream -> upstream.discovery() != null)
                .mapToLong(upstream -> upstream.discovery().timeoutMillis()).max().orElse(0);
    }

    /** The number of event loops to run: as configured, or one per core. */
    public int eventLoopCount() {
        return eventLoops == AUTO ? Runtime.getRuntime().availableProcessors() : eventLoops;
    }

    /** A configuration on the default transport. */
    public ProxyConfig(List<ListenerConfig> listeners, AdminConfig admin, Map<String, UpstreamConfig> upstreams,
                       List<RouteConfig> routes, LimitsConfig limits, long drainTimeoutMillis,
                       AccessLogConfig accessLog) {
        this(listeners, admin, upstreams, routes, limits, drainTimeoutMillis, accessLog, IoTransport.DEFAULT);
    }

    /** A configuration without an access log. */
    public ProxyConfig(List<ListenerConfig> listeners, AdminConfig admin, Map<String, UpstreamConfig> upstreams,
                       List<RouteConfig> routes, LimitsConfig limits, long drainTimeoutMillis) {
        this(listeners, admin, upstreams, routes, limits, drainTimeoutMillis, AccessLogConfig.off(),
                IoTransport.DEFAULT);
    }
}
