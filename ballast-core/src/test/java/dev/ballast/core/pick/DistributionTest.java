package dev.ballast.core.pick;

import dev.ballast.core.state.EndpointRegistry;
import dev.ballast.core.state.EndpointState;
import dev.ballast.core.testing.FakeTicker;
import dev.ballast.core.testing.TestEndpoints;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntUnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every balancer's long-run share per endpoint, against the share it documents, with a stated
 * tolerance per balancer (see {@link #allowedDeviation}). Seeded, so each case is deterministic; the
 * statistical tolerances are wide enough (5 sigma) that any fair seed passes, and narrow enough that
 * ignoring weights (or honouring them where the balancer must not) fails every mixed-weight case.
 */
class DistributionTest {

    /** Divisible by every size and every total weight below, so in-turn balancers finish whole cycles. */
    private static final int PICKS = 300_000;
    private static final long LATENCY_NANOS = 10_000_000;
    private static final long[] KEY_HASHES = new long[PICKS];

    static {
        for (int i = 0; i < PICKS; i++) {
            KEY_HASHES[i] = HashKeys.hash("user-" + i);
        }
    }

    enum Weights {
        EQUAL(i -> 1),
        /** 1, 2, 3, 4, 5, 1, 2, ...: totals 6, 30 and 300 for 3, 10 and 100 endpoints. */
        MIXED(i -> 1 + i % 5);

        final IntUnaryOperator weight;

        Weights(IntUnaryOperator weight) {
            this.weight = weight;
        }
    }

    static Stream<Arguments> cases() {
        return Policies.ids().stream().flatMap(id -> Stream.of(3, 10, 100).flatMap(size ->
                Stream.of(Weights.values()).map(weights -> Arguments.of(id, size, weights))));
    }

    @ParameterizedTest(name = "{0} over {1} endpoints, {2} weights")
    @MethodSource("cases")
    void sharesMatchTheDocumentedShare(String id, int size, Weights weights) {
        FakeTicker ticker = new FakeTicker();
        List<EndpointState> states = new EndpointRegistry(ticker)
                .sync(TestEndpoints.weighted(size, weights.weight));
        EndpointSet set = EndpointSet.of(states);
        BalancerOptions options = BalancerOptions.defaults().withRng(Rng.seeded(20_240_601L)).withTicker(ticker);
        Picker picker = Policies.of(id, options).newPicker(set);

        long[] counts = simulate(id, set, picker);

        double[] expected = expectedCounts(id, set);
        for (int i = 0; i < size; i++) {
            double expectedCount = expected[i];
            assertThat((double) counts[i])
                    .as("%s: picks of endpoint %d (weight %d)", id, i, set.weight(i))
                    .isBetween(expectedCount - allowedDeviation(id, expectedCount),
                            expectedCount + allowedDeviation(id, expectedCount));
        }
        for (EndpointState state : states) {
            assertThat(state.active()).isZero();
        }
    }

    /**
     * Load-aware balancers run a simulated mix: every request stays in flight for the next
     * {@code 20 x total weight} picks (first in, first out) and then finishes with the same latency,
     * so their shares come from the loads they balance. The others release at once.
     */
    private static long[] simulate(String id, EndpointSet set, Picker picker) {
        Map<EndpointState, Integer> index = new IdentityHashMap<>();
        for (int i = 0; i < set.size(); i++) {
            index.put(set.get(i), i);
        }
        boolean hashed = Policies.isHashBased(id);
        long window = isLoadAware(id) ? 20 * set.totalWeight() : 0;
        ArrayDeque<EndpointState> inFlight = new ArrayDeque<>();
        long[] counts = new long[set.size()];
        for (int k = 0; k < PICKS; k++) {
            PickContext context = hashed ? PickContext.ofHash(KEY_HASHES[k]) : PickContext.NONE;
            EndpointState picked = switch (picker.pick(context)) {
                case PickResult.Picked p -> p.endpoint();
                case PickResult.Unavailable u -> throw new AssertionError(id + ": " + u.reason());
            };
            counts[index.get(picked)]++;
            inFlight.add(picked);
            if (inFlight.size() > window) {
                inFlight.poll().release(LATENCY_NANOS);
            }
        }
        inFlight.forEach(state -> state.release(LATENCY_NANOS));
        return counts;
    }

    private static boolean isLoadAware(String id) {
        return switch (id) {
            case Policies.LEAST_CONNECTIONS, Policies.LEAST_REQUEST, Policies.PEAK_EWMA -> true;
            default -> false;
        };
    }

    /** round-robin and random ignore weights; first takes everything; all others follow the weights. */
    private static double[] expectedCounts(String id, EndpointSet set) {
        double[] counts = new double[set.size()];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = switch (id) {
                case Policies.ROUND_ROBIN, Policies.RANDOM -> (double) PICKS / set.size();
                case Policies.FIRST -> i == 0 ? PICKS : 0;
                default -> (double) PICKS * set.weight(i) / set.totalWeight();
            };
        }
        return counts;
    }

    /**
     * How far an endpoint's pick count may be from its expected count, by balancer:
     * <ul>
     *   <li>in turn ({@code round-robin}, {@code weighted-round-robin}) and {@code first}: exactly, since
     *       {@link #PICKS} is a whole number of cycles;</li>
     *   <li>{@code random}, {@code weighted-random}: 5 binomial standard deviations ({@code 5 sqrt(expected)});</li>
     *   <li>{@code maglev}: the same plus 1% for the table's slot shares;</li>
     *   <li>{@code least-connections}: 3%: loads are balanced exactly, but the {@code +1} of
     *       {@code (active + 1) / weight} favours light endpoints a little;</li>
     *   <li>{@code least-request}, {@code peak-ewma}: 5 sigma plus 12%: two random choices follow the
     *       weights only approximately (the lightest endpoints drift most);</li>
     *   <li>{@code ring-hash}: 5 sigma plus 25%: an endpoint's share is the length of its 160 arcs per unit
     *       of weight, which varies by about {@code 1/sqrt(160)}, 8%, so 25% is three of those.</li>
     * </ul>
     * Ignoring weights moves a weight-1 endpoint of the mixed cases to three times its share, and a
     * weight-5 one to 60% of it: far outside every tolerance.
     */
    static double allowedDeviation(String id, double expectedCount) {
        double fiveSigma = 5 * Math.sqrt(expectedCount);
        return switch (id) {
            case Policies.ROUND_ROBIN, Policies.WEIGHTED_ROUND_ROBIN, Policies.FIRST -> 0;
            case Policies.RANDOM, Policies.WEIGHTED_RANDOM -> fiveSigma;
            case Policies.MAGLEV -> fiveSigma + 0.01 * expectedCount;
            case Policies.LEAST_CONNECTIONS -> 0.03 * expectedCount;
            case Policies.LEAST_REQUEST, Policies.PEAK_EWMA -> fiveSigma + 0.12 * expectedCount;
            case Policies.RING_HASH -> fiveSigma + 0.25 * expectedCount;
            default -> throw new AssertionError("no tolerance stated for " + id);
        };
    }
}
