package dev.ballast.proxy.config;

import java.util.List;

/**
 * One entry of {@code routes}. First match wins, in file order. A route sends to one upstream
 * ({@code upstream}) or splits its requests between several by weight ({@code split}): exactly one
 * of the two is set.
 *
 * @param name     {@code name}: optional; defaults to {@code route-N} (N = position from 0); used as
 *                 the metrics label
 * @param match    {@code match}
 * @param upstream {@code upstream}: the name of an upstream; null when the route splits
 * @param split    {@code split}: the upstreams and their weights; empty unless the route splits
 * @param splitKey {@code split_key}: where a request's key comes from, so that the same key always
 *                 lands on the same side of a split; null for a weighted random choice
 * @param mirror   {@code mirror}: where copies of the route's requests go; null for none
 */
public record RouteConfig(String name, MatchConfig match, String upstream, List<Split> split, HashKey splitKey,
                          MirrorConfig mirror) {

    public RouteConfig {
        split = List.copyOf(split);
    }

    /** A route to one upstream, without a mirror. */
    public RouteConfig(String name, MatchConfig match, String upstream) {
        this(name, match, upstream, List.of(), null, null);
    }

    /** The upstreams requests go to, with their weights: the one {@code upstream} (weight 1) or the split. */
    public List<Split> targets() {
        return split.isEmpty() ? List.of(new Split(upstream, 1)) : split;
    }

    /** True when the route sends requests, or copies of them, to the upstream {@code name}. */
    public boolean uses(String name) {
        return name.equals(upstream) || split.stream().anyMatch(side -> side.upstream().equals(name))
                || (mirror != null && mirror.upstream().equals(name));
    }

    /**
     * One side of {@code split}.
     *
     * @param upstream the name of an upstream
     * @param weight   its share relative to the others' weights, 0 to 10000; 0 sends it nothing
     */
    public record Split(String upstream, int weight) {

        public static final int MAX_WEIGHT = 10_000;
    }
}
