package dev.ballast.proxy.route;

import io.netty.handler.codec.http.HttpRequest;

/** One condition of a route's {@code match}. Called on the event loop for every request: no blocking. */
@FunctionalInterface
interface RequestMatcher {

    /**
     * @param request the decoded request head
     * @param path    the request target's path, without the query
     */
    boolean matches(HttpRequest request, String path);

    RequestMatcher ANY = (request, path) -> true;
}
