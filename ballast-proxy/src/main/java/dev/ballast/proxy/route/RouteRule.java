package dev.ballast.proxy.route;

import dev.ballast.core.pick.HashKeys;
import dev.ballast.proxy.config.HashKey;
import io.netty.handler.codec.http.HttpRequest;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One compiled entry of {@code routes}: its conditions, where matching requests go (one upstream, or
 * a weighted split between several) and its mirror. Immutable.
 *
 * <p>A split gives each side a range of tickets as wide as its weight, in file order, and a request
 * draws a ticket: at random, or from the hash of its {@code split_key}, so that a key keeps its side
 * while the weights stay. Raising the weight of the last side (a canary listed last) only moves keys
 * onto it, never between the others.
 */
public final class RouteRule {

    private final String name;
    private final RequestMatcher matcher;
    private final Route[] targets;
    /** {@code upTo[i]}: the tickets below it that are not below {@code upTo[i - 1]} go to {@code targets[i]}. */
    private final int[] upTo;
    private final int tickets;
    private final HashKey splitKey;
    private final Mirror mirror;

    RouteRule(String name, RequestMatcher matcher, Route[] targets, int[] weights, HashKey splitKey, Mirror mirror) {
        this.name = name;
        this.matcher = matcher;
        this.targets = targets;
        this.upTo = new int[weights.length];
        int total = 0;
        for (int i = 0; i < weights.length; i++) {
            total += weights[i];
            upTo[i] = total;
        }
        if (total <= 0) {
            throw new IllegalArgumentException("route " + name + ": every weight is 0");
        }
        this.tickets = total;
        this.splitKey = splitKey;
        this.mirror = mirror;
    }

    public String name() {
        return name;
    }

    boolean matches(HttpRequest request, String path) {
        return matcher.matches(request, path);
    }

    /** True when requests are split between upstreams; {@link #choose} then needs the split key's value. */
    public boolean splits() {
        return targets.length > 1;
    }

    /** Where requests go, each upstream once, in file order. */
    public List<Route> targets() {
        return List.of(targets);
    }

    /** The weight of {@code targets().get(index)}. */
    public int weight(int index) {
        return upTo[index] - (index == 0 ? 0 : upTo[index - 1]);
    }

    /** {@code split_key}, or null when a split draws at random (or there is no split). */
    public HashKey splitKey() {
        return splitKey;
    }

    /** The mirror, or null. */
    public Mirror mirror() {
        return mirror;
    }

    /**
     * Where this request goes.
     *
     * @param key the request's {@code split_key} value; null to draw at random (no key configured, or
     *            the request carries none)
     */
    public Route choose(String key) {
        if (targets.length == 1) {
            return targets[0];
        }
        int ticket = key == null ? ThreadLocalRandom.current().nextInt(tickets)
                : (int) (((HashKeys.hash(key) >>> 32) * tickets) >>> 32);
        for (int i = 0; ; i++) {
            if (ticket < upTo[i]) {
                return targets[i];
            }
        }
    }

    @Override
    public String toString() {
        return "RouteRule[" + name + " -> " + List.of(targets) + "]";
    }
}
