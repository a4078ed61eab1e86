package dev.ballast.proxy.route;

import dev.ballast.proxy.config.MirrorConfig;
import dev.ballast.proxy.config.RouteConfig;
import dev.ballast.proxy.upstream.Upstream;
import io.netty.handler.codec.http.HttpRequest;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The routes in file order, compiled once: the first whose conditions all hold wins, and only the
 * routes a request's first path segment leaves in play are tried ({@link SegmentIndex}). Immutable
 * and shared by every event loop.
 */
public final class RouteTable {

    private final RouteRule[] rules;
    /** Which rules a request's first path segment leaves in play. */
    private final SegmentIndex index;
    private final List<Route> routes;
    private final Set<Upstream> mirrorTargets;

    private RouteTable(RouteRule[] rules, SegmentIndex index) {
        this.rules = rules;
        this.index = index;
        List<Route> all = new ArrayList<>();
        Set<Upstream> mirrored = Collections.newSetFromMap(new IdentityHashMap<>());
        for (RouteRule rule : rules) {
            all.addAll(rule.targets());
            if (rule.mirror() != null) {
                mirrored.add(rule.mirror().upstream());
            }
        }
        this.routes = List.copyOf(all);
        this.mirrorTargets = Collections.unmodifiableSet(mirrored);
    }

    /**
     * Compiles validated routes.
     *
     * @param upstreams by name; every upstream a route names must be there (the config loader checks it)
     * @throws IllegalArgumentException when a route names an unknown upstream
     */
    public static RouteTable compile(List<RouteConfig> configs, Map<String, Upstream> upstreams) {
        RouteRule[] rules = new RouteRule[configs.size()];
        for (int i = 0; i < rules.length; i++) {
            RouteConfig config = configs.get(i);
            String name = config.name() != null ? config.name() : "route-" + i;
            List<RouteConfig.Split> sides = config.targets();
            Route[] targets = new Route[sides.size()];
            int[] weights = new int[sides.size()];
            for (int side = 0; side < targets.length; side++) {
                String field = config.split().isEmpty() ? "routes[" + i + "].upstream"
                        : "routes[" + i + "].split[" + side + "].upstream";
                targets[side] = new Route(name, upstream(upstreams, sides.get(side).upstream(), field));
                weights[side] = sides.get(side).weight();
            }
            MirrorConfig mirror = config.mirror();
            rules[i] = new RouteRule(name, config.match(), targets, weights,
                    !config.split().isEmpty(), config.splitKey(),
                    mirror == null ? null : new Mirror(upstream(upstreams, mirror.upstream(),
                            "routes[" + i + "].mirror.upstream"), mirror.sample()));
        }
        return new RouteTable(rules, SegmentIndex.of(configs.stream().map(RouteConfig::match).toList()));
    }

    private static Upstream upstream(Map<String, Upstream> upstreams, String name, String field) {
        Upstream upstream = upstreams.get(name);
        if (upstream == null) {
            throw new IllegalArgumentException(field + ": '" + name + "' (expected one of: "
                    + String.join(", ", upstreams.keySet()) + ")");
        }
        return upstream;
    }

    /**
     * The first route matching the request, or null when none does.
     *
     * @param path the request target's path, without the query
     */
    public RouteRule match(HttpRequest request, String path) {
        // The rules filed under the path's first segment and those filed under none, merged in file
        // order: any other rule fixes another first segment, so it cannot match.
        int[] filed = index.filedFor(path);
        int[] unfiled = index.unfiled();
        int f = 0;
        int u = 0;
        while (f < filed.length || u < unfiled.length) {
            int next = u == unfiled.length || (f < filed.length && filed[f] < unfiled[u]) ? filed[f++] : unfiled[u++];
            RouteRule rule = rules[next];
            if (rule.matches(request, path)) {
                return rule;
            }
        }
        return null;
    }

    /** The routes in file order. */
    public List<RouteRule> rules() {
        return List.of(rules);
    }

    /** The upstreams some route mirrors requests to. */
    public Set<Upstream> mirrorTargets() {
        return mirrorTargets;
    }

    /** Every place requests go: each route's upstream, or each side of its split, in file order. */
    public List<Route> routes() {
        return routes;
    }
}
