package dev.ballast.proxy.route;

import dev.ballast.proxy.upstream.Upstream;

/**
 * Where a matched request goes: a route and one of its upstreams. A route with a {@code split} has
 * one of these per side, so metrics and the access log tell the sides apart. Immutable.
 */
public final class Route {

    private final String name;
    private final Upstream upstream;

    Route(String name, Upstream upstream) {
        this.name = name;
        this.upstream = upstream;
    }

    public String name() {
        return name;
    }

    public Upstream upstream() {
        return upstream;
    }

    @Override
    public String toString() {
        return "Route[" + name + " -> " + upstream.name() + "]";
    }
}
