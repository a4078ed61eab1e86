package dev.ballast.proxy.route;

import dev.ballast.proxy.upstream.Upstream;
import io.netty.handler.codec.http.HttpRequest;

/** One compiled entry of {@code routes}: its conditions and the upstream it sends to. Immutable. */
public final class Route {

    private final String name;
    private final Upstream upstream;
    private final RequestMatcher matcher;

    Route(String name, Upstream upstream, RequestMatcher matcher) {
        this.name = name;
        this.upstream = upstream;
        this.matcher = matcher;
    }

    public String name() {
        return name;
    }

    public Upstream upstream() {
        return upstream;
    }

    boolean matches(HttpRequest request, String path) {
        return matcher.matches(request, path);
    }

    @Override
    public String toString() {
        return "Route[" + name + " -> " + upstream.name() + "]";
    }
}
