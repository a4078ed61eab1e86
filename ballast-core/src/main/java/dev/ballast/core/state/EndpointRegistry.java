package dev.ballast.core.state;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.time.Ticker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The live state of one upstream's endpoints, keyed by address. States outlive the endpoint lists
 * that come and go (reloads, discovery updates): an endpoint that stays keeps its counters, health
 * and connections; one that leaves is dropped here while requests already holding it finish.
 *
 * <p>Membership changes ({@link #sync}) come from the one control-path writer of the upstream; the
 * data path only reads states it got from a snapshot.
 */
public final class EndpointRegistry {

    /** Finagle's default: a latency sample's weight halves in roughly 7 s. */
    public static final Duration DEFAULT_EWMA_DECAY = Duration.ofSeconds(10);

    private static final int DECAY_BITS = 10;
    private static final int DECAY_TABLE = 1 << DECAY_BITS;

    private final Ticker ticker;
    private final double ewmaDecayNanos;
    /**
     * exp(-ms / decay) as fine[ms mod 1024] x coarse[ms / 1024]: two lookups instead of an exp (which costs
     * a fifth of a pick) for any gap up to 17 minutes, since peak-ewma compares endpoints whose samples
     * can be seconds apart.
     */
    private final double[] decayFine = new double[DECAY_TABLE];
    private final double[] decayCoarse = new double[DECAY_TABLE];
    private final Map<String, EndpointState> states = new ConcurrentHashMap<>();
    private boolean populated;

    public EndpointRegistry(Ticker ticker) {
        this(ticker, DEFAULT_EWMA_DECAY);
    }

    public EndpointRegistry(Ticker ticker, Duration ewmaDecay) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        if (ewmaDecay.isNegative() || ewmaDecay.isZero()) {
            throw new IllegalArgumentException("ewma decay: " + ewmaDecay + " (expected: positive)");
        }
        this.ewmaDecayNanos = ewmaDecay.toNanos();
        for (int i = 0; i < DECAY_TABLE; i++) {
            decayFine[i] = Math.exp(-i * 1e6 / ewmaDecayNanos);
            decayCoarse[i] = Math.exp(-(double) i * DECAY_TABLE * 1e6 / ewmaDecayNanos);
        }
    }

    public Ticker ticker() {
        return ticker;
    }

    /** The weight {@code exp(-elapsed / decay)} that a latency estimate keeps after {@code elapsedMillis} (>= 0). */
    double decay(int elapsedMillis) {
        int coarse = elapsedMillis >>> DECAY_BITS;
        return coarse < DECAY_TABLE
                ? decayFine[elapsedMillis & (DECAY_TABLE - 1)] * decayCoarse[coarse]
                : Math.exp(-elapsedMillis * 1e6 / ewmaDecayNanos);
    }

    /**
     * Requests in flight over the current members, counted now (one read per member): for the control
     * path and tests. The request path keeps no upstream-wide total, which every pick and release of
     * every thread would have to update; bounded-load hashing keeps its own.
     */
    public long totalActive() {
        long total = 0;
        for (EndpointState state : states.values()) {
            total += state.active();
        }
        return total;
    }

    /**
     * Makes the registry hold exactly {@code endpoints}, in that order: existing states are kept (and
     * take the new weight, zone and metadata), new ones are created, missing ones are dropped. An
     * endpoint that joins after the first sync starts a slow-start ramp; the first members do not.
     *
     * @return the states in the order of {@code endpoints}
     * @throws IllegalArgumentException if two endpoints share an address; the registry is then unchanged
     */
    public synchronized List<EndpointState> sync(List<Endpoint> endpoints) {
        return sync(endpoints, !populated);
    }

    /**
     * As {@link #sync}, every endpoint new here joining as a first member does, at full weight: for an
     * owner whose first members come in more than one step (an upstream's configured endpoints, then
     * what discovery lists first). Those that join after its start go through {@link #sync} and ramp.
     */
    public synchronized List<EndpointState> syncFirstMembers(List<Endpoint> endpoints) {
        return sync(endpoints, true);
    }

    private List<EndpointState> sync(List<Endpoint> endpoints, boolean firstMembers) {
        long now = ticker.nanos();
        List<EndpointState> ordered = new ArrayList<>(endpoints.size());
        Set<String> seen = new HashSet<>();
        for (Endpoint endpoint : endpoints) { // checked whole first: a refused list changes nothing
            if (!seen.add(endpoint.address())) {
                throw new IllegalArgumentException(
                        "endpoint " + endpoint.address() + ": listed twice (expected: unique addresses)");
            }
        }
        for (Endpoint endpoint : endpoints) {
            String address = endpoint.address();
            EndpointState state = states.get(address);
            if (state == null) {
                state = new EndpointState(endpoint, this, now);
                if (!firstMembers) {
                    state.startRamp(now);
                }
                states.put(address, state);
            } else {
                state.update(endpoint);
            }
            ordered.add(state);
        }
        states.keySet().retainAll(seen);
        populated = populated || !endpoints.isEmpty();
        return Collections.unmodifiableList(ordered);
    }

    /** The state for {@code address}, or null if that address is not a member. Control path only. */
    public EndpointState get(String address) {
        return states.get(address);
    }

    public Collection<EndpointState> all() {
        return Collections.unmodifiableCollection(states.values());
    }
}
