package dev.ballast.core.pick;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.state.EndpointRegistry;
import dev.ballast.core.state.EndpointState;
import dev.ballast.core.state.LoadObserver;
import dev.ballast.core.time.Scheduler;
import dev.ballast.core.time.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Balances one upstream: keeps its endpoints' live state, decides which endpoints are eligible, and
 * publishes an immutable {@link EndpointSet} with its {@link Picker} in one volatile write whenever
 * anything changes. The data path calls {@link #pick}: one volatile read and the picker.
 *
 * <p><b>Eligibility</b>: healthy, not ejected, not draining. <b>Panic mode</b> (Envoy's): when fewer
 * than {@code panicThreshold} of the endpoints are eligible, picks spread over all non-draining
 * endpoints rather than crush the few left. <b>Slow start</b>: an endpoint that joins or recovers
 * starts at {@value #RAMP_FLOOR_PERCENT}% of its weight and ramps linearly to full weight over the
 * window; the set is rebuilt on a timer while any endpoint ramps. Entering and leaving panic mode is
 * logged once each, under the balancer's name.
 *
 * <p>Threading: control methods ({@link #setEndpoints}, {@link #setFirstMembers}, {@link #setPolicy},
 * {@link #refresh}) are serialised on this object: one writer per upstream. {@link #pick} is lock-free
 * and allocation-free.
 */
public final class Balancer {

    /** Effective weights are multiplied by this while anything ramps, so a weight of 1 can ramp too. */
    static final int RAMP_RESOLUTION = 100;
    static final int RAMP_FLOOR_PERCENT = 10;
    /** Weight updates per slow-start window. */
    static final int RAMP_STEPS = 20;

    private static final Logger log = LoggerFactory.getLogger(Balancer.class);
    /**
     * Draws asked of a picker for another endpoint before walking the set. A random draw finds the
     * passed-over one again with its share of the weight each time: for one of half the weight, eight
     * draws all find it once in 256 retries.
     */
    private static final int REDRAWS = 8;

    private final EndpointRegistry registry;
    private final String name;
    private final Ticker ticker;
    private final Scheduler scheduler;
    private final double panicThreshold;
    private final long slowStartNanos;
    private final int maxRequestsPerEndpoint;

    private volatile Snapshot current;

    // Control-path state, guarded by this.
    private Policy policy;
    private List<EndpointState> members = List.of();
    private Set<EndpointState> lastEligible = Collections.newSetFromMap(new IdentityHashMap<>());
    /** False until the first build with members: the first members start at full weight. */
    private boolean built;
    private boolean panicking;
    private Scheduler.Cancellable pendingRefresh;
    private long pendingRefreshAt;

    private Balancer(Builder builder) {
        this.name = builder.name;
        this.ticker = builder.ticker;
        this.registry = new EndpointRegistry(ticker, builder.ewmaDecay);
        this.scheduler = builder.scheduler;
        this.panicThreshold = builder.panicThreshold;
        this.slowStartNanos = builder.slowStart.toNanos();
        this.maxRequestsPerEndpoint = builder.maxRequestsPerEndpoint;
        this.policy = builder.policy;
        this.current = Snapshot.unavailable(PickResult.Reason.NO_ENDPOINTS);
    }

    public static Builder builder(Policy policy) {
        return new Builder(policy);
    }

    /**
     * Picks an endpoint for one request. On {@link PickResult.Picked} the caller owns one in-flight
     * slot of that endpoint and must release it exactly once.
     */
    public PickResult pick(PickContext context) {
        Snapshot snapshot = current;
        PickResult result = snapshot.picker.pick(context);
        if (result instanceof PickResult.Picked picked) {
            EndpointState endpoint = picked.endpoint();
            boolean avoid = snapshot.endpoints.size() > 1 && context.avoids(endpoint);
            boolean over = maxRequestsPerEndpoint > 0 && endpoint.active() > maxRequestsPerEndpoint;
            if (avoid || over) {
                endpoint.release();
                PickResult redrawn = redraw(snapshot.picker, context);
                return redrawn != null ? redrawn : pickAnother(snapshot.picker, snapshot.endpoints, context);
            }
        }
        return result;
    }

    /**
     * Asks the picker again, a few times, for an endpoint the request does not avoid and that has room:
     * the next turn of a rotation, another weighted or two-choice draw, so passing over one endpoint
     * keeps to the weights and loads. A walk from a random place ({@link #pickAnother}) would not: over
     * weights of 100, 1 and 100, the endpoint of weight 1 would take a third of the retries away from
     * the first. Null when the picker answers the same way again, or nothing came of the draws.
     */
    private PickResult redraw(Picker picker, PickContext context) {
        if (!picker.redrawsVary()) {
            return null;
        }
        for (int i = 0; i < REDRAWS; i++) {
            PickResult result = picker.pick(context);
            if (!(result instanceof PickResult.Picked picked)) {
                return null;
            }
            EndpointState endpoint = picked.endpoint();
            if (!context.avoids(endpoint) && (maxRequestsPerEndpoint <= 0 || endpoint.active() <= maxRequestsPerEndpoint)) {
                return result;
            }
            endpoint.release();
        }
        return null;
    }

    /**
     * Walks the set from a random place (from the first, for a picker that keeps an order) for an
     * endpoint with room under the per-endpoint limit and the picker's own cap: first one the request
     * avoids not at all, then one other than the last it failed on, and that one only when nothing else
     * has room.
     */
    private PickResult pickAnother(Picker picker, EndpointSet endpoints, PickContext context) {
        int limit = Math.min(maxRequestsPerEndpoint > 0 ? maxRequestsPerEndpoint : Integer.MAX_VALUE,
                picker.spillCapacity());
        int n = endpoints.size();
        int start = picker.spillsInOrder() ? 0 : ThreadLocalRandom.current().nextInt(n);
        EndpointState last = context.avoid();
        for (int i = 0; i < n; i++) {
            EndpointState candidate = endpoints.get((start + i) % n);
            if (!context.avoids(candidate) && candidate.tryAcquire(limit)) {
                return candidate.picked();
            }
        }
        for (int i = 0; i < n; i++) {
            EndpointState candidate = endpoints.get((start + i) % n);
            if (candidate != last && context.avoids(candidate) && candidate.tryAcquire(limit)) {
                return candidate.picked(); // every other one was tried already
            }
        }
        if (last != null && endpoints.indexOf(last) >= 0 && last.tryAcquire(limit)) {
            return last.picked(); // the only one with room
        }
        return PickResult.Reason.ALL_OVER_CAPACITY.result();
    }

    /** The endpoints picks currently choose from. */
    public EndpointSet endpoints() {
        return current.endpoints;
    }

    /** The current picker, for callers that pick in a tight loop (benchmarks). */
    public Picker picker() {
        return current.picker;
    }

    public EndpointRegistry registry() {
        return registry;
    }

    /** Every member, eligible or not, in configuration order. */
    public synchronized List<EndpointState> members() {
        return members;
    }

    public synchronized Policy policy() {
        return policy;
    }

    /** Replaces the endpoint list; states of endpoints that stay are kept. */
    public synchronized void setEndpoints(List<Endpoint> endpoints) {
        members = registry.sync(endpoints);
        rebuild();
    }

    /**
     * Replaces the endpoint list as {@link #setEndpoints} does, every endpoint new to the balancer
     * joining as one of its first members: at full weight, not on a slow-start ramp. For an owner whose
     * first members come in more than one step (an upstream's configured endpoints, then what discovery
     * lists first); endpoints that join after its start go through {@link #setEndpoints} and ramp.
     */
    public synchronized void setFirstMembers(List<Endpoint> endpoints) {
        Set<EndpointState> before = Collections.newSetFromMap(new IdentityHashMap<>());
        before.addAll(members);
        members = registry.syncFirstMembers(endpoints);
        Set<EndpointState> joined = Collections.newSetFromMap(new IdentityHashMap<>());
        for (EndpointState state : members) {
            if (!before.contains(state)) {
                joined.add(state);
            }
        }
        rebuild(joined);
    }

    /** Switches the balancing algorithm (a reload); endpoint state is kept. */
    public synchronized void setPolicy(Policy newPolicy) {
        this.policy = Objects.requireNonNull(newPolicy, "policy");
        rebuild();
    }

    /** Re-evaluates eligibility and weights: call after health, ejection or draining changed. */
    public synchronized void refresh() {
        rebuild();
    }

    private void rebuild() {
        rebuild(Set.of());
    }

    /** Rebuilds the set; {@code firstMembers} joined as first members, so they start no ramp though new to it. */
    private void rebuild(Set<EndpointState> firstMembers) {
        long now = ticker.nanos();
        List<EndpointState> eligible = new ArrayList<>(members.size());
        List<EndpointState> available = new ArrayList<>(members.size());
        Set<EndpointState> nowEligible = Collections.newSetFromMap(new IdentityHashMap<>());
        for (EndpointState state : members) {
            if (state.isDraining()) {
                continue;
            }
            available.add(state);
            if (state.isEligible(now)) {
                eligible.add(state);
                nowEligible.add(state);
                if (built && !lastEligible.contains(state) && !firstMembers.contains(state)) {
                    state.startRamp(now); // joined or recovered since the last build
                }
            }
        }
        lastEligible = nowEligible;
        built = built || !members.isEmpty();
        scheduleRefresh(nextRefreshAt(now), now);

        List<EndpointState> chosen;
        boolean panic = false;
        if (members.isEmpty()) {
            panicking = false; // nothing to spread over: not panic mode, whatever comes next
            publish(Snapshot.unavailable(PickResult.Reason.NO_ENDPOINTS));
            return;
        } else if (available.isEmpty()) {
            panicking = false;
            publish(Snapshot.unavailable(PickResult.Reason.ALL_DRAINING));
            return;
        } else if (!eligible.isEmpty() && !belowPanicThreshold(eligible.size(), available.size())) {
            chosen = eligible;
        } else if (panicThreshold > 0 && !available.isEmpty()) {
            chosen = eligibleFirst(eligible, available);
            panic = true;
        } else if (!eligible.isEmpty()) {
            chosen = eligible;
        } else {
            panicking = false;
            publish(Snapshot.unavailable(PickResult.Reason.ALL_UNHEALTHY));
            return;
        }
        logPanicChange(panic, eligible.size(), available.size());
        int unit = anyRamping(chosen, now) ? RAMP_RESOLUTION : 1;
        EndpointSet set = EndpointSet.of(chosen, effectiveWeights(chosen, unit, now), unit, panic);
        // The picker in force keeps counting loads while the new one is built (a large ring takes a
        // while; a bound frozen meanwhile would refuse requests as over capacity). A picker that indexes
        // loads binds every endpoint of its set, replacing the old binding; the others are let go after.
        Picker picker = policy.newPicker(set);
        publish(new Snapshot(set, picker));
        Set<EndpointState> inSet = Collections.newSetFromMap(new IdentityHashMap<>());
        inSet.addAll(chosen);
        for (EndpointState state : members) {
            if (!inSet.contains(state)) {
                state.bindLoadObserver(LoadObserver.NONE, 0);
            }
        }
    }

    /**
     * Panic mode's set: every endpoint not draining, the eligible ones first, each part in file
     * order, so that {@code first} still takes the first eligible endpoint; the others do not depend
     * on the order (the hash balancers rank members by address).
     */
    /**
     * Fewer than the threshold's share of the available endpoints are eligible. In millionths, not a
     * product of doubles: 7 of 100 at 7% is 7.000000000000001 that way, and would panic at the boundary.
     */
    private boolean belowPanicThreshold(int eligible, int available) {
        return eligible * 1_000_000L < Math.round(panicThreshold * 1_000_000) * (long) available;
    }

    private static List<EndpointState> eligibleFirst(List<EndpointState> eligible, List<EndpointState> available) {
        List<EndpointState> ordered = new ArrayList<>(available.size());
        ordered.addAll(eligible);
        Set<EndpointState> taken = Collections.newSetFromMap(new IdentityHashMap<>());
        taken.addAll(eligible);
        for (EndpointState state : available) {
            if (!taken.contains(state)) {
                ordered.add(state);
            }
        }
        return ordered;
    }

    private boolean anyRamping(List<EndpointState> chosen, long now) {
        for (EndpointState state : chosen) {
            if (isRamping(state, now)) {
                return true;
            }
        }
        return false;
    }

    /** Weights in {@code unit}s of a configured weight of 1: a ramping endpoint's is its share so far. */
    private int[] effectiveWeights(List<EndpointState> chosen, int unit, long now) {
        int[] weights = new int[chosen.size()];
        for (int i = 0; i < weights.length; i++) {
            EndpointState state = chosen.get(i);
            int weight = state.endpoint().weight();
            if (!isRamping(state, now)) {
                weights[i] = weight * unit;
            } else {
                double fraction = Math.max(RAMP_FLOOR_PERCENT / 100.0,
                        (double) (now - state.eligibleSinceNanos()) / slowStartNanos);
                weights[i] = Math.max(1, (int) Math.round(weight * unit * fraction));
            }
        }
        return weights;
    }

    /** The next time the set must be rebuilt by itself: a ramp step or an ejection that expires. */
    private long nextRefreshAt(long now) {
        long next = Long.MAX_VALUE;
        for (EndpointState state : members) {
            if (isRamping(state, now)) {
                next = Math.min(next, now + Math.max(1, slowStartNanos / RAMP_STEPS));
            }
            if (state.isEjected(now)) {
                next = Math.min(next, state.ejectedUntilNanos());
            }
        }
        return next;
    }

    private boolean isRamping(EndpointState state, long now) {
        return slowStartNanos > 0 && !state.rampExempt() && now - state.eligibleSinceNanos() < slowStartNanos;
    }

    private void scheduleRefresh(long at, long now) {
        if (at == Long.MAX_VALUE || scheduler == null) {
            return;
        }
        if (pendingRefresh != null) {
            if (pendingRefreshAt <= at) {
                return;
            }
            pendingRefresh.cancel();
        }
        pendingRefreshAt = at;
        pendingRefresh = scheduler.schedule(() -> {
            synchronized (this) {
                pendingRefresh = null;
                rebuild();
            }
        }, Math.max(0, at - now));
    }

    private void logPanicChange(boolean panic, int eligible, int available) {
        if (panic == panicking) {
            return;
        }
        panicking = panic;
        if (panic) {
            log.warn("{}: panic mode: {} of {} endpoints eligible, under the panic threshold of {}%; every endpoint"
                    + " takes requests", name, eligible, available, Math.round(panicThreshold * 100));
        } else {
            log.info("{}: panic mode over: {} of {} endpoints eligible", name, eligible, available);
        }
    }

    private void publish(Snapshot snapshot) {
        current = snapshot;
    }

    /** The endpoint set and the picker over it: swapped together, so they never disagree. */
    private record Snapshot(EndpointSet endpoints, Picker picker) {

        static Snapshot unavailable(PickResult.Reason reason) {
            PickResult result = reason.result();
            return new Snapshot(EndpointSet.of(List.of()), context -> result);
        }
    }

    /** Builds a {@link Balancer}; every setting has a default but the policy. */
    public static final class Builder {

        private final Policy policy;
        private String name = "balancer";
        private Ticker ticker = Ticker.system();
        private Scheduler scheduler;
        private double panicThreshold = 0.5;
        private Duration slowStart = Duration.ZERO;
        private Duration ewmaDecay = EndpointRegistry.DEFAULT_EWMA_DECAY;
        private int maxRequestsPerEndpoint;

        private Builder(Policy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
        }

        /** What the balancer's log lines name it: the upstream or service it balances. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /** Runs the timed refreshes of slow start and ejection expiry. Required for slow start. */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /** Fraction 0..1 of eligible endpoints below which panic mode starts; 0 turns panic mode off. */
        public Builder panicThreshold(double threshold) {
            if (!(threshold >= 0 && threshold <= 1)) {
                throw new IllegalArgumentException("panic threshold: " + threshold + " (expected: 0..1)");
            }
            this.panicThreshold = threshold;
            return this;
        }

        /** Ramp window for endpoints that join or recover; zero turns slow start off. */
        public Builder slowStart(Duration window) {
            if (window.isNegative()) {
                throw new IllegalArgumentException("slow start: " + window + " (expected: >= 0)");
            }
            this.slowStart = window;
            return this;
        }

        public Builder ewmaDecay(Duration decay) {
            this.ewmaDecay = Objects.requireNonNull(decay, "decay");
            return this;
        }

        /** In-flight requests one endpoint may hold; 0 for no limit. */
        public Builder maxRequestsPerEndpoint(int max) {
            if (max < 0) {
                throw new IllegalArgumentException("max requests per endpoint: " + max + " (expected: >= 0)");
            }
            this.maxRequestsPerEndpoint = max;
            return this;
        }

        public Balancer build() {
            if (!slowStart.isZero() && scheduler == null) {
                throw new IllegalStateException("slow start needs a scheduler to ramp weights over time");
            }
            return new Balancer(this);
        }
    }
}
