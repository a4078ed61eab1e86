package dev.ballast.core.pick;

import dev.ballast.core.state.EndpointState;
import dev.ballast.core.testing.TestEndpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.IntUnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class LeastConnectionsTest {

    private static Picker leastConnections(List<EndpointState> states) {
        return Policies.of(Policies.LEAST_CONNECTIONS, BalancerOptions.defaults().withRng(Rng.seeded(5)))
                .newPicker(EndpointSet.of(states));
    }

    private static EndpointState pick(Picker picker) {
        return ((PickResult.Picked) picker.pick(PickContext.NONE)).endpoint();
    }

    @Test
    void prefersTheIdleEndpoint() {
        List<EndpointState> states = TestEndpoints.states(TestEndpoints.equal(3));
        Picker picker = leastConnections(states);
        // Busy before and after the picker was built: it follows loads however they change.
        states.get(0).acquire();
        states.get(1).acquire();
        states.get(1).acquire();

        assertThat(pick(picker)).isSameAs(states.get(2));
        assertThat(pick(picker)).isIn(states.get(0), states.get(2)); // both hold one now
        states.get(0).release();
        assertThat(pick(picker)).isSameAs(states.get(0));
    }

    @Test
    void weighsLoadsByWeight() {
        List<EndpointState> states = TestEndpoints.states(TestEndpoints.withWeights(1, 2, 3));
        Picker picker = leastConnections(states);

        assertThat(pick(picker)).isSameAs(states.get(2)); // idle: 1/3 < 1/2 < 1/1
        for (int k = 1; k < 60; k++) {
            pick(picker);
        }
        // Held loads settle in proportion: (active + 1) / weight equal up to one request.
        assertThat(states).extracting(EndpointState::active).containsExactly(10, 20, 30);
    }

    @Test
    void breaksTiesInTurn() {
        List<EndpointState> states = TestEndpoints.states(TestEndpoints.equal(7));
        Picker picker = leastConnections(states);

        int previous = -1;
        for (int k = 0; k < 70; k++) {
            EndpointState picked = pick(picker);
            picked.release();
            int index = states.indexOf(picked);
            if (previous >= 0) {
                assertThat(index).isEqualTo((previous + 1) % states.size());
            }
            previous = index;
        }
        // With one busy endpoint the turn skips it.
        states.get(3).acquire();
        for (int k = 0; k < 12; k++) {
            EndpointState picked = pick(picker);
            picked.release();
            assertThat(picked).isNotSameAs(states.get(3));
        }
    }

    static Stream<Arguments> sizesAndWeights() {
        IntUnaryOperator equal = i -> 1;
        IntUnaryOperator mixed = i -> 1 + i * 7 % 10;
        return Stream.of(3, 10, 100, 1_000).flatMap(size -> Stream.of(
                Arguments.of(size, "equal", equal), Arguments.of(size, "mixed", mixed)));
    }

    /**
     * A random mix of picks that are held, releases, and loads added outside this picker. Before
     * every pick the exact least (active + 1) / weight is computed by a scan; the tree must pick an
     * endpoint with exactly that load.
     */
    @ParameterizedTest(name = "{0} endpoints, {1} weights")
    @MethodSource("sizesAndWeights")
    void alwaysPicksAnEndpointWithTheFewestRequestsPerWeight(int size, String label, IntUnaryOperator weight) {
        List<EndpointState> states = TestEndpoints.states(TestEndpoints.weighted(size, weight));
        EndpointSet set = EndpointSet.of(states);
        Picker picker = leastConnections(states);
        Random random = new Random(size);
        List<EndpointState> held = new ArrayList<>();

        for (int step = 0; step < 20_000; step++) {
            int action = random.nextInt(10);
            if (action < 6) {
                int best = 0;
                for (int i = 1; i < size; i++) {
                    if (lighter(set, i, best)) {
                        best = i;
                    }
                }
                EndpointState picked = pick(picker);
                held.add(picked);
                int index = set.indexOf(picked);
                picked.release(); // compare loads as they were before this pick
                assertThat(lighter(set, best, index)).as("step %d: picked %d, least is %d", step, index, best)
                        .isFalse();
                picked.acquire();
            } else if (action < 9 && !held.isEmpty()) {
                held.remove(random.nextInt(held.size())).release();
            } else {
                EndpointState elsewhere = states.get(random.nextInt(size)); // e.g. a retry's own pick
                elsewhere.acquire();
                held.add(elsewhere);
            }
        }
        held.forEach(EndpointState::release);
        assertThat(states).allSatisfy(state -> assertThat(state.active()).isZero());
    }

    /** (active_a + 1) / w_a < (active_b + 1) / w_b, exactly. */
    private static boolean lighter(EndpointSet set, int a, int b) {
        return (long) (set.get(a).active() + 1) * set.weight(b) < (long) (set.get(b).active() + 1) * set.weight(a);
    }
}
