package dev.ballast.proxy.metrics;

import dev.ballast.core.health.HealthListener;
import dev.ballast.core.health.HealthTransition;
import dev.ballast.core.outlier.Ejection;
import dev.ballast.core.outlier.OutlierListener;
import dev.ballast.core.state.EndpointState;
import dev.ballast.core.state.Health;
import dev.ballast.core.endpoint.Watch;
import dev.ballast.proxy.http.CutShort;
import dev.ballast.proxy.http.RequestObserver;
import dev.ballast.proxy.http.RequestRecord;
import dev.ballast.proxy.route.Route;
import dev.ballast.proxy.upstream.MirrorOutcome;
import dev.ballast.proxy.upstream.Upstream;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Every metric Ballast exports, declared in the table below and nowhere else, on the Prometheus Java
 * client. Label values are bounded: route and upstream names from the config, endpoint addresses,
 * status codes; never paths.
 *
 * <p>Recording a request costs two map lookups by identity (the route's and the endpoint's series)
 * and a few plain stores into the event loop's own stripe of each ({@link RequestSeries}); no
 * strings are built and no atomic instruction runs. Gauges that describe state (connections,
 * health) are read only at scrape time.
 *
 * <p>Thread-safe. {@link #completed} runs on the event loops; {@link #retain} after each reload and
 * each change of members by DNS.
 */
public final class ProxyMetrics implements RequestObserver {

    /** Request duration buckets in seconds: sub-millisecond proxy hops to slow backends. */
    static final double[] DURATION_BUCKETS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
            1, 2.5, 5, 10, 30, 60};
    /** The route and upstream label values of requests no route matched (or refused before routing). */
    static final String NONE = "";

    private final PrometheusRegistry registry = new PrometheusRegistry();

    // ---- the table: name, type, labels, help ----

    /** {@code ballast_requests_total} and {@code ballast_request_duration_seconds}. */
    final SeriesFamily routeTraffic = new SeriesFamily(
            "ballast_requests",
            "Requests answered, by route, upstream and status code (499: the client hung up; 444: the proxy closed without an answer).",
            "ballast_request_duration_seconds",
            "Time from the request head to the end of the response, by route and upstream.",
            "route", "upstream");
    /** {@code ballast_upstream_requests_total} and {@code ballast_upstream_request_duration_seconds}. */
    final SeriesFamily endpointTraffic = new SeriesFamily(
            "ballast_upstream_requests",
            "Requests by the endpoint that served them (their last attempt) and status code.",
            "ballast_upstream_request_duration_seconds",
            "Request duration by the endpoint that served them.",
            "upstream", "endpoint");
    final Counter cutShort = Counter.builder()
            .name("ballast_responses_cut_short_total")
            .help("Responses whose header was sent but not their whole body, by route, upstream and why: upstream_reset,"
                    + " upstream_timeout, client_closed, client_timeout, request_refused, shutdown, proxy_error.")
            .labelNames("route", "upstream", "reason")
            .withoutExemplars()
            .register(registry);
    final Counter ejections = Counter.builder()
            .name("ballast_endpoint_ejections_total")
            .help("Times outlier detection took an endpoint out of rotation.")
            .labelNames("upstream", "endpoint")
            .withoutExemplars()
            .register(registry);
    final Counter healthTransitions = Counter.builder()
            .name("ballast_endpoint_health_transitions_total")
            .help("Active health check verdict changes, by the state entered (healthy or unhealthy).")
            .labelNames("upstream", "endpoint", "to")
            .withoutExemplars()
            .register(registry);
    final Counter reloads = Counter.builder()
            .name("ballast_config_reloads_total")
            .help("Configuration reloads, by result (success or failure).")
            .labelNames("result")
            .withoutExemplars()
            .register(registry);
    final Gauge lastReloadSuccessful = Gauge.builder()
            .name("ballast_config_last_reload_successful")
            .help("1 when the last reload was applied (or none was tried), 0 when it was rejected.")
            .register(registry);
    final Gauge lastReloadSuccess = Gauge.builder()
            .name("ballast_config_last_reload_success_timestamp_seconds")
            .help("When the configuration in force was applied, in Unix seconds.")
            .unit(Unit.SECONDS)
            .register(registry);

    // Callback metrics (retries, connections, endpoint state) are declared in the constructor, which
    // binds them to their sources; they are part of this table too.

    private final Map<Route, RequestSeries> byRoute = new ConcurrentHashMap<>();
    private final Map<EndpointState, RequestSeries> byEndpoint = new ConcurrentHashMap<>();
    private final RequestSeries unrouted;

    /**
     * The label pairs of routes and endpoints that a reload or a DNS change removed, and when: a request
     * still in flight to one when it went must not bring its series back as it completes. Kept for
     * {@link #GONE_KEPT_NANOS}: a response streaming for longer than that (a long download, an event
     * stream) brings its series back when it ends, until the next reload.
     */
    private final Map<List<String>, Long> goneRoutes = new ConcurrentHashMap<>();
    private final Map<List<String>, Long> goneEndpoints = new ConcurrentHashMap<>();
    private static final long GONE_KEPT_NANOS = TimeUnit.HOURS.toNanos(1);
    /** The pairs in force at the last {@link #retain}, to tell which ones it removes. Control path. */
    private Set<List<String>> lastRoutePairs = Set.of();
    private Set<List<String>> lastEndpointPairs = Set.of();

    /**
     * @param connectionsByListener client connections open now, by listener name
     * @param upstreams             the upstreams in force
     * @param accessLogDropped      access log lines dropped so far
     * @param mirrorTargets         the upstreams in force that some route mirrors requests to
     * @param configSource          where the configuration is read from (a file's path, {@code etcd:KEY}),
     *                              or null when it is given in code
     * @param configWatch           how following an etcd key goes; null for a file
     * @param configDigest          the digest of the configuration in force
     */
    public ProxyMetrics(Supplier<Map<String, Integer>> connectionsByListener, Supplier<Collection<Upstream>> upstreams,
                        LongSupplier accessLogDropped, Supplier<Set<Upstream>> mirrorTargets, String configSource,
                        Supplier<Watch.Status> configWatch, Supplier<String> configDigest) {
        GaugeWithCallback.builder()
                .name("ballast_config_info")
                .help("1, labelled with the digest of the configuration in force (as GET /status shows it): a"
                        + " fleet that serves one configuration shows one digest.")
                .labelNames("digest")
                .callback(callback -> callback.call(1, configDigest.get()))
                .register(registry);
        GaugeWithCallback.builder()
                .name("ballast_config_watch_connected")
                .help("With the configuration in an etcd key: 1 while etcd answers the watch that follows it, 0"
                        + " after a failure until a read succeeds again (puts are not seen meanwhile; the"
                        + " configuration in force keeps serving).")
                .labelNames("source")
                .callback(callback -> {
                    Watch.Status watch = configWatch.get();
                    if (watch != null) {
                        callback.call(watch.connected() ? 1 : 0, configSource);
                    }
                })
                .register(registry);
        GaugeWithCallback.builder()
                .name("ballast_active_connections")
                .help("Client connections open now, by listener.")
                .labelNames("listener")
                .callback(callback -> connectionsByListener.get().forEach((name, count) -> callback.call(count, name)))
                .register(registry);
        CounterWithCallback.builder()
                .name("ballast_retries_total")
                .help("Tries after the first, by upstream (restarts from 0 when a reload rebuilds the upstream).")
                .labelNames("upstream")
                .callback(callback -> upstreams.get().forEach(u -> callback.call(u.retries(), u.name())))
                .register(registry);
        CounterWithCallback.builder()
                .name("ballast_mirror_requests_total")
                .help("Mirrored copies of requests, by the upstream that got them and how they ended (2xx..5xx,"
                        + " failed, timeout, dropped); restarts from 0 when a reload rebuilds the upstream.")
                .labelNames("upstream", "outcome")
                .callback(callback -> mirrorTargets.get().forEach(u -> {
                    for (MirrorOutcome outcome : MirrorOutcome.values()) {
                        callback.call(u.mirroredCount(outcome), u.name(), outcome.label());
                    }
                }))
                .register(registry);
        GaugeWithCallback.builder()
                .name("ballast_endpoint_healthy")
                .help("1 while the endpoint passes its active health checks (or has none), else 0.")
                .labelNames("upstream", "endpoint")
                .callback(callback -> eachEndpoint(upstreams, (u, e) ->
                        callback.call(e.health() == Health.HEALTHY ? 1 : 0, u.name(), e.address())))
                .register(registry);
        GaugeWithCallback.builder()
                .name("ballast_endpoint_ejected")
                .help("1 while outlier detection keeps the endpoint out of rotation, else 0.")
                .labelNames("upstream", "endpoint")
                .callback(callback -> {
                    long now = System.nanoTime();
                    eachEndpoint(upstreams, (u, e) -> callback.call(e.isEjected(now) ? 1 : 0, u.name(), e.address()));
                })
                .register(registry);
        GaugeWithCallback.builder()
                .name("ballast_endpoint_draining")
                .help("1 while the endpoint is drained through the admin API, else 0.")
                .labelNames("upstream", "endpoint")
                .callback(callback -> eachEndpoint(upstreams, (u, e) ->
                        callback.call(e.isDraining() ? 1 : 0, u.name(), e.address())))
                .register(registry);
        GaugeWithCallback.builder()
                .name("ballast_endpoint_active_requests")
                .help("Requests in flight to the endpoint.")
                .labelNames("upstream", "endpoint")
                .callback(callback -> eachEndpoint(upstreams, (u, e) -> callback.call(e.active(), u.name(), e.address())))
                .register(registry);
        GaugeWithCallback.builder()
                .name("ballast_upstream_connections")
                .help("Connections to the endpoint: active (carrying or about to carry a request) or idle (pooled).")
                .labelNames("upstream", "endpoint", "state")
                .callback(callback -> eachEndpoint(upstreams, (u, e) -> {
                    int open = u.openConnections(e.address());
                    // Every request in flight holds one connection (or is opening one): the rest are idle.
                    int active = Math.min(open, e.active());
                    callback.call(active, u.name(), e.address(), "active");
                    callback.call(open - active, u.name(), e.address(), "idle");
                }))
                .register(registry);
        GaugeWithCallback.builder()
                .name("ballast_discovery_connected")
                .help("1 while etcd answers the upstream's discovery (its prefix is read and watched), 0 after a"
                        + " failure until a read succeeds again; while 0 the endpoints read last stay in use.")
                .labelNames("upstream", "source")
                .callback(callback -> upstreams.get().forEach(u -> u.discoveryStatus().ifPresent(status ->
                        callback.call(status.connected() ? 1 : 0, u.name(), u.config().discovery().source()))))
                .register(registry);
        GaugeWithCallback.builder()
                .name("ballast_discovery_keys")
                .help("Keys under the upstream's discovery prefix, as read last (a key that is not an endpoint"
                        + " counts too).")
                .labelNames("upstream", "source")
                .callback(callback -> upstreams.get().forEach(u -> u.discoveryStatus().ifPresent(status ->
                        callback.call(status.entries(), u.name(), u.config().discovery().source()))))
                .register(registry);
        CounterWithCallback.builder()
                .name("ballast_access_log_dropped_total")
                .help("Access log lines dropped because the writer could not keep up.")
                .callback(callback -> callback.call(accessLogDropped.getAsLong()))
                .register(registry);
        // The request metrics are recorded per event loop (RequestSeries) and summed here, at scrape time.
        registry.register(() -> new MetricSnapshots(routeTraffic.counterSnapshot(), routeTraffic.histogramSnapshot(),
                endpointTraffic.counterSnapshot(), endpointTraffic.histogramSnapshot()));
        lastReloadSuccessful.set(1);
        lastReloadSuccess.set(System.currentTimeMillis() / 1000.0);
        // Both series from the start: increase() takes a series' first sample as its base, so a count
        // that first appears at 1 would hide the first reload after each start.
        reloads.labelValues("success");
        reloads.labelValues("failure");
        unrouted = routeTraffic.series(NONE, NONE);
    }

    private static void eachEndpoint(Supplier<Collection<Upstream>> upstreams,
                                     java.util.function.BiConsumer<Upstream, EndpointState> action) {
        for (Upstream upstream : upstreams.get()) {
            for (EndpointState endpoint : upstream.balancer().members()) {
                action.accept(upstream, endpoint);
            }
        }
    }

    // ---- data path ----

    @Override
    public void completed(RequestRecord request) {
        Route route = request.route();
        RequestSeries series = route == null ? unrouted : routeSeries(route);
        int status = request.status();
        long nanos = request.durationNanos();
        if (series != null) {
            series.observe(status, nanos);
            CutShort why = request.cutShort();
            if (why != null && route != null) {
                countCutShort(route, why);
            }
        }
        EndpointState endpoint = request.endpoint();
        if (endpoint != null && route != null) {
            RequestSeries ofEndpoint = endpointSeries(route.upstream(), endpoint);
            if (ofEndpoint != null) {
                ofEndpoint.observe(status, nanos);
            }
        }
    }

    @Override
    public void mirrored(Upstream upstream, EndpointState endpoint, int status, long nanos) {
        RequestSeries ofEndpoint = endpointSeries(upstream, endpoint);
        if (ofEndpoint != null) {
            ofEndpoint.observe(status, nanos);
        }
    }

    /**
     * Rare, so a labels look-up is fine. As for the series below, a route a reload removed meanwhile
     * must not get its counts back: looked at again after counting, and taken back if it went.
     */
    private void countCutShort(Route route, CutShort why) {
        List<String> pair = List.of(route.name(), route.upstream().name());
        if (goneRoutes.containsKey(pair)) {
            return;
        }
        cutShort.labelValues(route.name(), route.upstream().name(), why.label()).inc();
        if (goneRoutes.containsKey(pair)) {
            cutShort.remove(route.name(), route.upstream().name(), why.label());
        }
    }

    /** The route's series; null when a reload removed the route while this request was in flight. */
    private RequestSeries routeSeries(Route route) {
        RequestSeries series = byRoute.get(route);
        return series != null ? series
                : seriesUnlessGone(byRoute, route, routeTraffic, goneRoutes, route.name(), route.upstream().name());
    }

    /** The endpoint's series; null when it was removed while this request was in flight. */
    private RequestSeries endpointSeries(Upstream upstream, EndpointState endpoint) {
        RequestSeries series = byEndpoint.get(endpoint);
        return series != null ? series
                : seriesUnlessGone(byEndpoint, endpoint, endpointTraffic, goneEndpoints, upstream.name(),
                        endpoint.address());
    }

    /**
     * The slow path, once per route or endpoint object: the series of its labels, made if need be,
     * unless its labels are gone. {@link #retain} marks labels gone before it drops their series, so
     * a check after making one catches a retain that ran in between, and takes the series back.
     */
    private static <K> RequestSeries seriesUnlessGone(Map<K, RequestSeries> byKey, K key, SeriesFamily family,
                                                       Map<List<String>, Long> gone, String first, String second) {
        List<String> labels = List.of(first, second);
        if (gone.containsKey(labels)) {
            return null;
        }
        RequestSeries series = byKey.computeIfAbsent(key, k -> family.series(first, second));
        if (gone.containsKey(labels)) {
            byKey.remove(key, series);
            family.forget(labels, series);
            return null;
        }
        return series;
    }

    // ---- control path ----

    /** Counts {@code upstream}'s ejections and health transitions from now on. */
    public void watch(Upstream upstream) {
        String name = upstream.name();
        upstream.addOutlierListener(new OutlierListener() {
            @Override
            public void ejected(Ejection ejection) {
                ejections.labelValues(name, ejection.endpoint().address()).inc();
            }
        });
        upstream.addHealthListener(new HealthListener() {
            @Override
            public void transitioned(HealthTransition transition) {
                healthTransitions.labelValues(name, transition.endpoint().address(),
                        transition.to() == Health.HEALTHY ? "healthy" : "unhealthy").inc();
            }
        });
    }

    /** Counts a reload attempt. */
    public void reloaded(boolean applied) {
        reloads.labelValues(applied ? "success" : "failure").inc();
        lastReloadSuccessful.set(applied ? 1 : 0);
        if (applied) {
            lastReloadSuccess.set(System.currentTimeMillis() / 1000.0);
        }
    }

    /**
     * At start, after a reload, or a change of members by DNS: forgets the series of routes, upstreams
     * and endpoints that are gone, so that label cardinality stays bounded however many reloads and
     * instances come and go, and keeps requests still in flight to them from bringing them back.
     */
    public synchronized void retain(Collection<Route> routes, Collection<Upstream> upstreams) {
        Set<List<String>> routePairs = new HashSet<>();
        routePairs.add(List.of(NONE, NONE));
        Set<Route> liveRoutes = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Route route : routes) {
            routePairs.add(List.of(route.name(), route.upstream().name()));
            liveRoutes.add(route);
            for (CutShort why : CutShort.values()) {
                cutShort.labelValues(route.name(), route.upstream().name(), why.label());
            }
        }
        Set<List<String>> endpointPairs = new HashSet<>();
        Set<EndpointState> liveEndpoints = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Upstream upstream : upstreams) {
            boolean checked = upstream.healthMonitor().isPresent();
            for (EndpointState endpoint : upstream.balancer().members()) {
                endpointPairs.add(List.of(upstream.name(), endpoint.address()));
                liveEndpoints.add(endpoint);
                // Counters start at 0 for every endpoint, so a rate() over them has a series before the first event.
                ejections.labelValues(upstream.name(), endpoint.address());
                if (checked) {
                    healthTransitions.labelValues(upstream.name(), endpoint.address(), "healthy");
                    healthTransitions.labelValues(upstream.name(), endpoint.address(), "unhealthy");
                }
            }
        }
        markGone(goneRoutes, lastRoutePairs, routePairs);
        markGone(goneEndpoints, lastEndpointPairs, endpointPairs);
        lastRoutePairs = routePairs;
        lastEndpointPairs = endpointPairs;
        byRoute.keySet().retainAll(liveRoutes);
        byEndpoint.keySet().retainAll(liveEndpoints);
        routeTraffic.retain(routePairs);
        endpointTraffic.retain(endpointPairs);
        cutShort.removeIf(labels -> !routePairs.contains(labels.subList(0, 2)));
        ejections.removeIf(labels -> !endpointPairs.contains(labels));
        healthTransitions.removeIf(labels -> !endpointPairs.contains(labels.subList(0, 2)));
    }

    /** Before the series go: what was in force and is not now is gone; what is in force again is not. */
    private static void markGone(Map<List<String>, Long> gone, Set<List<String>> before, Set<List<String>> now) {
        long at = System.nanoTime();
        gone.values().removeIf(since -> at - since > GONE_KEPT_NANOS);
        gone.keySet().removeAll(now);
        for (List<String> pair : before) {
            if (!now.contains(pair)) {
                gone.put(pair, at);
            }
        }
    }

    // ---- reading ----

    /** Writes every metric, Ballast's and the JVM's, in the Prometheus text format. */
    public void scrape(OutputStream out) throws IOException {
        List<MetricSnapshot> all = new ArrayList<>();
        registry.scrape().forEach(all::add);
        JvmRegistry.INSTANCE.scrape().forEach(all::add);
        PrometheusTextFormatWriter.create().write(out, new MetricSnapshots(all));
    }

    public static String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }

    /** The upper bounds of the latency buckets of {@link TrafficTotals}, in seconds (+Inf last). */
    public static double[] durationBuckets() {
        double[] bounds = java.util.Arrays.copyOf(DURATION_BUCKETS, DURATION_BUCKETS.length + 1);
        bounds[DURATION_BUCKETS.length] = Double.POSITIVE_INFINITY;
        return bounds;
    }

    /** Cumulative totals per upstream (every request routed to it, whether or not an endpoint served it). */
    public Map<String, TrafficTotals> upstreamTotals() {
        return TrafficTotals.sumBy(routeTraffic.histogramSnapshot(), routeTraffic.counterSnapshot(), "upstream");
    }

    /** Cumulative totals per endpoint, keyed {@code upstream} then {@code endpoint}. */
    public Map<String, Map<String, TrafficTotals>> endpointTotals() {
        HistogramSnapshot durations = endpointTraffic.histogramSnapshot();
        CounterSnapshot counts = endpointTraffic.counterSnapshot();
        return TrafficTotals.sumByPair(durations, counts, "upstream", "endpoint");
    }

    /** The process-wide JVM and process metrics, registered once however many proxies run in one JVM. */
    private static final class JvmRegistry {
        static final PrometheusRegistry INSTANCE = create();

        private static PrometheusRegistry create() {
            PrometheusRegistry registry = new PrometheusRegistry();
            JvmMetrics.builder().register(registry);
            return registry;
        }
    }
}
