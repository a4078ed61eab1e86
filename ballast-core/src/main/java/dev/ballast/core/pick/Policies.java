package dev.ballast.core.pick;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/** The balancers, by configuration id. The one place that maps an id to an implementation. */
public final class Policies {

    public static final String ROUND_ROBIN = "round-robin";
    public static final String WEIGHTED_ROUND_ROBIN = "weighted-round-robin";
    public static final String RANDOM = "random";
    public static final String WEIGHTED_RANDOM = "weighted-random";
    public static final String LEAST_CONNECTIONS = "least-connections";
    public static final String LEAST_REQUEST = "least-request";
    public static final String PEAK_EWMA = "peak-ewma";
    public static final String RING_HASH = "ring-hash";
    public static final String MAGLEV = "maglev";
    public static final String FIRST = "first";

    private static final Map<String, Function<BalancerOptions, Policy>> BY_ID = new LinkedHashMap<>();
    /** The balancers whose picks take no account of weights: neither an endpoint's nor a slow-start ramp's. */
    private static final Set<String> UNWEIGHTED = Set.of(ROUND_ROBIN, RANDOM, FIRST);

    static {
        BY_ID.put(ROUND_ROBIN, o -> policy(ROUND_ROBIN, set -> new RoundRobin(set, o.rng(), o.ticker())));
        BY_ID.put(WEIGHTED_ROUND_ROBIN, o -> policy(WEIGHTED_ROUND_ROBIN, set -> set.uniformWeights()
                ? new RoundRobin(set, o.rng(), o.ticker()) : new SmoothWeightedRoundRobin(set, o.rng(), o.ticker())));
        BY_ID.put(RANDOM, o -> policy(RANDOM, set -> new RandomPick(set, o.rng())));
        BY_ID.put(WEIGHTED_RANDOM, o -> policy(WEIGHTED_RANDOM, set -> set.uniformWeights()
                ? new RandomPick(set, o.rng()) : new WeightedRandom(set, o.rng())));
        BY_ID.put(LEAST_CONNECTIONS, o -> policy(LEAST_CONNECTIONS, set -> set.size() <= LeastConnectionsScan.MAX_ENDPOINTS
                ? new LeastConnectionsScan(set, o.rng(), o.ticker()) : new LeastConnections(set, o.rng(), o.ticker())));
        BY_ID.put(LEAST_REQUEST, o -> policy(LEAST_REQUEST, set -> new LeastRequest(set, o.rng())));
        BY_ID.put(PEAK_EWMA, o -> policy(PEAK_EWMA, set -> new PeakEwma(set, o.rng())));
        BY_ID.put(RING_HASH, o -> policy(RING_HASH, set -> new RingHash(set, o.rng(), o.bound())));
        BY_ID.put(MAGLEV, o -> policy(MAGLEV, set -> new Maglev(set, o.rng(), o.bound(), o.maglevTableSize())));
        BY_ID.put(FIRST, o -> policy(FIRST, First::new));
    }

    private Policies() {
    }

    /** Every balancer id, in documentation order. */
    public static List<String> ids() {
        return List.copyOf(BY_ID.keySet());
    }

    /** True for the balancers that place requests by a hash of a request key. */
    public static boolean isHashBased(String id) {
        return RING_HASH.equals(id) || MAGLEV.equals(id);
    }

    /**
     * True for the balancers that follow endpoint weights, and so slow start's ramp; false for the
     * others and for an unknown id.
     */
    public static boolean usesWeights(String id) {
        return BY_ID.containsKey(id) && !UNWEIGHTED.contains(id);
    }

    /** The balancer with this id, or empty if there is none. */
    public static Optional<Policy> byId(String id, BalancerOptions options) {
        Objects.requireNonNull(options, "options");
        Function<BalancerOptions, Policy> factory = BY_ID.get(id);
        return factory == null ? Optional.empty() : Optional.of(factory.apply(options));
    }

    /**
     * The balancer with this id.
     *
     * @throws IllegalArgumentException naming the unknown id and the known ones
     */
    public static Policy of(String id, BalancerOptions options) {
        return byId(id, options).orElseThrow(() -> new IllegalArgumentException(
                "balancer: '" + id + "' (expected one of: " + String.join(", ", ids()) + ")"));
    }

    public static Policy roundRobin() {
        return of(ROUND_ROBIN, BalancerOptions.defaults());
    }

    private static Policy policy(String id, Function<EndpointSet, Picker> factory) {
        return new Policy() {
            @Override
            public String id() {
                return id;
            }

            @Override
            public Picker newPicker(EndpointSet endpoints) {
                return factory.apply(endpoints);
            }

            @Override
            public String toString() {
                return id;
            }
        };
    }
}
