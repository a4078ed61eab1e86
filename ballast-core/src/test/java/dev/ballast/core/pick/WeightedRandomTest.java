package dev.ballast.core.pick;

import dev.ballast.core.state.EndpointState;
import dev.ballast.core.testing.TestEndpoints;
import org.junit.jupiter.api.Test;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class WeightedRandomTest {

    /**
     * While slow start ramps, effective weights are scaled by 100, so a weight of 10,000 becomes
     * 1,000,000; with a few thousand endpoints, weight x count no longer fits in an int.
     */
    @Test
    void followsLargeEffectiveWeightsOverManyEndpoints() {
        int size = 2_500;
        List<EndpointState> states = TestEndpoints.states(TestEndpoints.equal(size));
        int[] weights = IntStream.range(0, size).map(i -> i % 2 == 0 ? 1_000_000 : 500_000).toArray();
        EndpointSet set = EndpointSet.of(states, weights, false);
        WeightedRandom picker = new WeightedRandom(set, Rng.seeded(9));
        Map<EndpointState, Integer> index = new IdentityHashMap<>();
        for (int i = 0; i < size; i++) {
            index.put(states.get(i), i);
        }

        int picks = 300_000;
        int heavy = 0;
        for (int k = 0; k < picks; k++) {
            EndpointState picked = ((PickResult.Picked) picker.pick(PickContext.NONE)).endpoint();
            picked.release();
            heavy += index.get(picked) % 2 == 0 ? 1 : 0;
        }
        double expected = picks * 2.0 / 3;
        assertThat((double) heavy).isBetween(expected - 5 * Math.sqrt(expected), expected + 5 * Math.sqrt(expected));
    }

    @Test
    void neverPicksOutsideTheSetAndCoversEveryEndpoint() {
        List<EndpointState> states = TestEndpoints.states(TestEndpoints.withWeights(1, 10_000, 3));
        WeightedRandom picker = new WeightedRandom(EndpointSet.of(states), Rng.seeded(2));
        Map<EndpointState, Integer> counts = new IdentityHashMap<>();
        for (int k = 0; k < 200_000; k++) {
            EndpointState picked = ((PickResult.Picked) picker.pick(PickContext.NONE)).endpoint();
            picked.release();
            counts.merge(picked, 1, Integer::sum);
        }
        assertThat(counts.keySet()).containsExactlyInAnyOrderElementsOf(states);
        assertThat(counts.get(states.get(0))).isBetween(5, 45); // expected 20 of 200,000
    }
}
