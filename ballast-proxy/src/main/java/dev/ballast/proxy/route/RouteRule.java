package dev.ballast.proxy.route;

import dev.ballast.core.pick.HashKeys;
import dev.ballast.proxy.config.HashKey;
import dev.ballast.proxy.config.MatchConfig;
import io.netty.handler.codec.http.HttpRequest;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One compiled entry of {@code routes}: its conditions, where matching requests go (one upstream, or
 * a weighted split between several) and its mirror. Immutable.
 *
 * <p>Without a key, a request draws a ticket at random from ranges as wide as the sides' weights.
 * With a {@code split_key}, the key decides, so that it keeps its side while the weights stay: going
 * from the last side to the second, the key stays on side {@code i} with probability {@code w_i / (w_0
 * + ... + w_i)}, decided by a hash of the key of that side's own, and falls through to the sides
 * before it otherwise; side 0 takes what reaches it. Each side so gets its weight's share of keys, and
 * raising the last side's weight (a canary listed last) only moves keys onto it, since no other side's
 * decision changes. (A change to an earlier side's weight changes the decisions of every side after it
 * too, so it may move keys from those sides to earlier ones.) The sides' hashes
 * are remixed from the key's hash, so they are independent of each other and of {@code ring-hash} and
 * {@code maglev} on the same key.
 */
public final class RouteRule {

    /** SplitMix64's increment: the sides' hashes start this far apart. */
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private final String name;
    private final MatchConfig match;
    private final RequestMatcher matcher;
    private final Route[] targets;
    /** {@code upTo[i]}: the tickets below it that are not below {@code upTo[i - 1]} go to {@code targets[i]}. */
    private final int[] upTo;
    private final int tickets;
    private final boolean split;
    private final HashKey splitKey;
    private final Mirror mirror;

    RouteRule(String name, MatchConfig match, Route[] targets, int[] weights, boolean split, HashKey splitKey,
              Mirror mirror) {
        this.name = name;
        this.match = match;
        this.matcher = Matchers.compile(match);
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
        this.split = split;
        this.splitKey = splitKey;
        this.mirror = mirror;
    }

    public String name() {
        return name;
    }

    /** The match as configured: what {@code GET /status} shows. */
    public MatchConfig match() {
        return match;
    }

    boolean matches(HttpRequest request, String path) {
        return matcher.matches(request, path);
    }

    /** True when requests are split between upstreams; {@link #choose} then needs the split key's value. */
    public boolean splits() {
        return targets.length > 1;
    }

    /** True when the route was configured with {@code split} (maybe of one side) rather than {@code upstream}. */
    public boolean hasSplit() {
        return split;
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
        if (key == null) {
            int ticket = ThreadLocalRandom.current().nextInt(tickets);
            for (int i = 0; ; i++) {
                if (ticket < upTo[i]) {
                    return targets[i];
                }
            }
        }
        long hash = HashKeys.hash(key);
        for (int i = targets.length - 1; i > 0; i--) {
            long ticket = ((mix(hash + (i + 1) * GOLDEN_GAMMA) >>> 32) * upTo[i]) >>> 32; // 0 .. upTo[i] - 1
            if (ticket < weight(i)) {
                return targets[i];
            }
        }
        return targets[0];
    }

    /** SplitMix64's finalizer: a different, well-spread hash for each side from one hash of the key. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override
    public String toString() {
        return "RouteRule[" + name + " -> " + List.of(targets) + "]";
    }
}
