package dev.ballast.proxy.admin;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.state.EndpointState;
import dev.ballast.core.state.Health;
import dev.ballast.proxy.route.RouteRule;
import dev.ballast.proxy.upstream.Upstream;
import io.netty.util.NetUtil;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /status}: what the proxy is doing now. Listeners with their open connections, routes,
 * upstreams with each endpoint's state and live counters, and the recent events.
 */
final class StatusJson {

    /** The window of {@code recent_errors}. */
    static final int RECENT_SECONDS = 60;

    private StatusJson() {
    }

    /** @param adminConnections the admin listener's open connections, this one included */
    static Map<String, Object> of(ProxyControl proxy, StatsHistory history, AdminEvents events, int adminConnections) {
        ProxyControl.InForce inForce = proxy.inForce(); // one snapshot: no reload between its parts
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("ready", proxy.ready());
        status.put("generation", inForce.generation());
        status.put("config_loaded_at", inForce.loadedAt());
        status.put("config_digest", ConfigDigest.of(inForce.config()));
        status.put("transport", proxy.transport());
        status.put("event_loops", proxy.eventLoops());
        status.put("event_loop_kernel_slice", proxy.kernelSlice());
        ConfigOrigin origin = proxy.configOrigin();
        if (origin != null) {
            Map<String, Object> source = new LinkedHashMap<>();
            source.put("name", origin.name());
            if (origin.watch() != null) {
                source.put("connected", origin.watch().connected());
                source.put("member", origin.watch().connected() ? origin.watch().server().toString() : null);
                source.put("revision", origin.watch().revision());
                source.put("last_error", origin.watch().lastError());
            }
            status.put("config_source", source);
        }
        status.put("listeners", listeners(proxy));
        status.put("admin", Map.of("connections", adminConnections));
        status.put("routes", routes(inForce.routes()));
        List<Object> upstreams = new ArrayList<>();
        inForce.upstreams().values().forEach(upstream -> upstreams.add(upstream(upstream, history)));
        status.put("upstreams", upstreams);
        List<Object> recent = new ArrayList<>();
        for (AdminEvents.Event event : events.recent()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("time", event.time());
            json.put("kind", event.kind());
            json.put("upstream", event.upstream());
            json.put("endpoint", event.endpoint());
            json.put("message", event.message());
            recent.add(json);
        }
        status.put("events", recent);
        return status;
    }

    private static List<Object> listeners(ProxyControl proxy) {
        Map<String, Integer> connections = proxy.connectionsByListener();
        List<Object> listeners = new ArrayList<>();
        proxy.listeners().forEach((name, address) -> {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("name", name);
            json.put("address", text(address));
            json.put("connections", connections.getOrDefault(name, 0));
            listeners.add(json);
        });
        return listeners;
    }

    private static List<Object> routes(List<RouteRule> rules) {
        List<Object> json = new ArrayList<>();
        for (RouteRule rule : rules) {
            Map<String, Object> route = new LinkedHashMap<>();
            route.put("name", rule.name());
            if (rule.hasSplit()) {
                List<Object> split = new ArrayList<>();
                for (int side = 0; side < rule.targets().size(); side++) {
                    split.add(pair("upstream", rule.targets().get(side).upstream().name(),
                            "weight", rule.weight(side)));
                }
                route.put("split", split);
                if (rule.splitKey() != null) {
                    route.put("split_key", rule.splitKey().toString());
                }
            } else {
                route.put("upstream", rule.targets().getFirst().upstream().name());
            }
            if (rule.mirror() != null) {
                route.put("mirror", pair("upstream", rule.mirror().upstream().name(),
                        "sample", rule.mirror().sample()));
            }
            route.put("match", rule.match());
            json.add(route);
        }
        return json;
    }

    /** Two fields in this order. */
    private static Map<String, Object> pair(String key, Object value, String otherKey, Object otherValue) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put(key, value);
        json.put(otherKey, otherValue);
        return json;
    }

    /** One upstream and its endpoints ({@code GET /upstreams/{name}} and each of {@code /status}'s). */
    static Map<String, Object> upstream(Upstream upstream, StatsHistory history) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", upstream.name());
        json.put("balancer", upstream.config().balancer());
        json.put("health_checked", upstream.healthMonitor().isPresent());
        long now = upstream.balancer().registry().ticker().nanos();
        List<EndpointState> members = upstream.balancer().members();
        json.put("eligible_endpoints", members.stream().filter(m -> !m.isDraining() && m.isEligible(now)).count());
        json.put("panic", upstream.balancer().endpoints().panic());
        upstream.discoveryStatus().ifPresent(status -> {
            Map<String, Object> discovery = new LinkedHashMap<>();
            discovery.put("source", upstream.config().discovery().source());
            discovery.put("connected", status.connected());
            discovery.put("member", status.connected() ? status.server().toString() : null);
            discovery.put("revision", status.revision());
            discovery.put("keys", status.entries());
            discovery.put("last_error", status.lastError());
            json.put("discovery", discovery);
        });
        List<Object> endpoints = new ArrayList<>();
        for (EndpointState endpoint : members) {
            endpoints.add(endpoint(upstream, endpoint, now, history));
        }
        json.put("endpoints", endpoints);
        return json;
    }

    private static Map<String, Object> endpoint(Upstream upstream, EndpointState state, long now, StatsHistory history) {
        Endpoint endpoint = state.endpoint();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("address", state.address());
        json.put("state", state(state, now));
        json.put("health", state.health() == Health.HEALTHY ? "healthy" : "unhealthy");
        json.put("ejected", state.isEjected(now));
        json.put("draining", state.isDraining());
        json.put("weight", endpoint.weight());
        json.put("zone", endpoint.zone());
        json.put("metadata", endpoint.metadata());
        json.put("active_requests", state.active());
        json.put("latency_ewma_ms", state.hasLatencySample()
                ? Math.round(state.latencyEwmaNanos(now) / 1_000) / 1_000.0 : null); // none yet is not 0 ms
        json.put("requests", state.requests());
        json.put("failures", state.failures());
        json.put("recent_errors", history.recentErrors(upstream.name(), state.address(), RECENT_SECONDS));
        json.put("open_connections", upstream.openConnections(state.address()));
        return json;
    }

    /**
     * One word for the dashboard: draining (an operator's choice) over unhealthy (the active checks'
     * verdict) over ejected (judged from traffic, and temporary) over healthy.
     */
    static String state(EndpointState state, long now) {
        if (state.isDraining()) {
            return "draining";
        }
        if (state.health() != Health.HEALTHY) {
            return "unhealthy";
        }
        return state.isEjected(now) ? "ejected" : "healthy";
    }

    /** {@code 127.0.0.1:8080}, {@code [::1]:8080}: as addresses are written in the configuration. */
    static String text(InetSocketAddress address) {
        return NetUtil.toSocketAddressString(address);
    }
}
