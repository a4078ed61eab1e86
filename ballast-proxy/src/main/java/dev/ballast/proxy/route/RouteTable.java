package dev.ballast.proxy.route;

import dev.ballast.proxy.config.RouteConfig;
import dev.ballast.proxy.upstream.Upstream;
import io.netty.handler.codec.http.HttpRequest;

import java.util.List;
import java.util.Map;

/**
 * The routes in file order, compiled once: the first whose conditions all hold wins. Immutable and
 * shared by every event loop.
 */
public final class RouteTable {

    private final Route[] routes;

    private RouteTable(Route[] routes) {
        this.routes = routes;
    }

    /**
     * Compiles validated routes.
     *
     * @param upstreams by name; every route's upstream must be there (the config loader checks it)
     * @throws IllegalArgumentException when a route names an unknown upstream
     */
    public static RouteTable compile(List<RouteConfig> configs, Map<String, Upstream> upstreams) {
        Route[] routes = new Route[configs.size()];
        for (int i = 0; i < routes.length; i++) {
            RouteConfig config = configs.get(i);
            Upstream upstream = upstreams.get(config.upstream());
            if (upstream == null) {
                throw new IllegalArgumentException("routes[" + i + "].upstream: '" + config.upstream()
                        + "' (expected one of: " + String.join(", ", upstreams.keySet()) + ")");
            }
            String name = config.name() != null ? config.name() : "route-" + i;
            routes[i] = new Route(name, upstream, Matchers.compile(config.match()));
        }
        return new RouteTable(routes);
    }

    /**
     * The first route matching the request, or null when none does.
     *
     * @param path the request target's path, without the query
     */
    public Route match(HttpRequest request, String path) {
        for (Route route : routes) {
            if (route.matches(request, path)) {
                return route;
            }
        }
        return null;
    }

    public List<Route> routes() {
        return List.of(routes);
    }
}
