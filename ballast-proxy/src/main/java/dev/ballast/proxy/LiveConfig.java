package dev.ballast.proxy;

import dev.ballast.proxy.config.ProxyConfig;
import dev.ballast.proxy.route.RouteTable;
import dev.ballast.proxy.upstream.Upstream;

import java.time.Instant;
import java.util.Map;

/**
 * What the proxy serves with right now, swapped whole by a reload: the effective configuration, the
 * compiled routes and the upstreams they send to. Immutable; the data path reads it with one
 * volatile read per request.
 *
 * @param config     the effective configuration: the last valid file, except for the parts that
 *                   need a restart (listeners, admin, limits, drain time, transport, event loops),
 *                   which stay as started
 * @param routes     the compiled routes
 * @param upstreams  by name, in file order
 * @param generation 1 for the configuration the proxy started with, one more for each applied reload
 * @param loadedAt   when this configuration was applied
 */
record LiveConfig(ProxyConfig config, RouteTable routes, Map<String, Upstream> upstreams, int generation,
                  Instant loadedAt) {
}
