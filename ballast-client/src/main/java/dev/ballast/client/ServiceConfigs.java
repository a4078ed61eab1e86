package dev.ballast.client;

import dev.ballast.client.internal.UpstreamReader;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * {@link ServiceConfig}s from the proxy's YAML: the {@code upstreams} section of a {@code ballast.yaml}
 * (docs/configuration.md), so a service and the proxy can share one file and agree on every upstream.
 *
 * <p>The client depends on no YAML library: parse the file with the one you have and pass the {@code
 * upstreams} value as the generic tree it makes (nested {@link Map}, {@link List}, {@link String},
 * {@link Number}, {@link Boolean}, null), e.g. with Jackson:
 * <pre>{@code
 * Map<String, Object> root = new ObjectMapper(new YAMLFactory()).readValue(file, new TypeReference<>() {});
 * List<ServiceConfig> services = ServiceConfigs.fromUpstreams((Map<String, ?>) root.get("upstreams"));
 * }</pre>
 *
 * <p>The proxy's rules, read the proxy's way:
 * <ul>
 *   <li>exactly the proxy's keys, with its defaults (which are not all the builder's: outlier detection
 *       is on, 5 failures in a row, 30 s, at most 50% ejected; one retry of connect failures and resets
 *       with 25-250 ms backoff) and units: durations {@code 250ms, 2s, 1m, 1h}, percentages {@code 50%},
 *       status ranges {@code 200-399}; scalars are read as text, so the key decides the type;</li>
 *   <li>{@code ${NAME}} and {@code ${NAME:-default}} are replaced from the environment in every value;</li>
 *   <li>keys only the proxy uses are checked by its rules, then ignored: {@code idle_timeout}, {@code
 *       pool}, {@code host_header} ({@code HttpClient} owns its connections and sets {@code Host}), and
 *       {@code circuit_breaker.max_connections} and {@code max_pending_requests} (only {@code
 *       max_requests} has a meaning over {@code HttpClient});</li>
 *   <li>{@code hash_key: client-ip} means nothing in a client: the service hashes on {@link
 *       ClientRequest#hashKey} when a call sets it, else spreads at random, and a warning is logged (as
 *       for the proxy's other warnings, e.g. a hash key on a balancer that does not hash);</li>
 *   <li>client-only settings ({@code scheme}, {@code hedging}, {@code maxResponseBytes}) are not proxy
 *       keys, so they are unknown keys here: set them with {@link ServiceConfig#builder}.</li>
 * </ul>
 *
 * <p>Unknown keys and bad values fail with one {@link IllegalArgumentException} that lists every
 * problem, one per line, with its path and the proxy's message, e.g.
 * {@code upstreams.api.retries.attempts: -1 out of range (expected: 0..10)}. There are no line numbers:
 * a generic map does not keep them ({@code bin/ballast validate} shows them for the same file).
 */
public final class ServiceConfigs {

    private ServiceConfigs() {
    }

    /**
     * One service per upstream, in the map's order (a YAML library's maps keep the file's), taking
     * {@code ${NAME}} from the process environment.
     *
     * @param upstreams the value of the top-level {@code upstreams} key; null reads as no upstreams
     * @throws IllegalArgumentException listing every problem, each with its path
     */
    public static List<ServiceConfig> fromUpstreams(Map<String, ?> upstreams) {
        return fromUpstreams(upstreams, System::getenv);
    }

    /**
     * As {@link #fromUpstreams(Map)}, with {@code env} looking up {@code ${NAME}} (null when unset).
     */
    public static List<ServiceConfig> fromUpstreams(Map<String, ?> upstreams, Function<String, String> env) {
        return UpstreamReader.readAll(upstreams, env);
    }

    /**
     * The service for one upstream; problems are reported under {@code upstreams.NAME}.
     *
     * @param name     the upstream's name, which becomes the service's
     * @param upstream its value; null reads as an upstream with every default ({@code name:} alone)
     * @throws IllegalArgumentException listing every problem, each with its path
     */
    public static ServiceConfig fromUpstream(String name, Map<String, ?> upstream) {
        return fromUpstream(name, upstream, System::getenv);
    }

    /**
     * As {@link #fromUpstream(String, Map)}, with {@code env} looking up {@code ${NAME}} (null when unset).
     */
    public static ServiceConfig fromUpstream(String name, Map<String, ?> upstream, Function<String, String> env) {
        return UpstreamReader.read(name, upstream, env);
    }
}
