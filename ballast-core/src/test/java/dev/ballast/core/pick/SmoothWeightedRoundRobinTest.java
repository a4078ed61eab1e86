package dev.ballast.core.pick;

import dev.ballast.core.state.EndpointState;
import dev.ballast.core.testing.TestEndpoints;
import dev.ballast.core.time.Ticker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class SmoothWeightedRoundRobinTest {

    static Stream<Arguments> weightSets() {
        return Stream.of(
                Arguments.of((Object) new int[] {5, 1, 1}),
                Arguments.of((Object) new int[] {5, 5, 5, 1}),
                Arguments.of((Object) new int[] {1, 2, 3, 4, 5}),
                Arguments.of((Object) new int[] {7, 3}),
                Arguments.of((Object) new int[] {42, 1, 1}),
                Arguments.of((Object) new int[] {4, 6, 8}), // gcd 2: a cycle of 9
                Arguments.of((Object) new int[] {10, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}),
                Arguments.of((Object) IntStream.range(0, 100).map(i -> 1 + i % 5).toArray()),
                Arguments.of((Object) IntStream.range(0, 37).map(i -> 1 + (i * 7919) % 50).toArray()));
    }

    @ParameterizedTest(name = "weights {0}")
    @MethodSource("weightSets")
    void givesEveryEndpointExactlyItsWeightInEveryCycle(int[] weights) {
        Run run = Run.of(weights, 3);
        int cycle = run.cycle();
        assertThat(cycle).isEqualTo(Arrays.stream(weights).sum() / run.gcd());

        // Any window of one cycle's length, wherever it starts: the schedule is exact, not just on average.
        int[] counts = new int[weights.length];
        for (int k = 0; k < cycle; k++) {
            counts[run.sequence[k]]++;
        }
        for (int start = 0; start + cycle < run.sequence.length; start++) {
            for (int i = 0; i < weights.length; i++) {
                assertThat(counts[i]).as("window at %d, endpoint %d", start, i).isEqualTo(weights[i] / run.gcd());
            }
            counts[run.sequence[start]]--;
            counts[run.sequence[start + cycle]]++;
        }
    }

    /**
     * The bound on runs. With total weight {@code W}, endpoint {@code i} must sit between the
     * {@code W - w_i} picks of the others, so any interleaving has a run of at least
     * {@code ceil(w_i / (W - w_i))} (pigeonhole). NGINX's schedule reaches that within a cycle, but its
     * scores are all zero where a cycle starts, so the run that ends one cycle can join the run that
     * opens the next: walked cyclically, runs stay within {@code 2 x ceil(w_i / (W - w_i))}. A bursty
     * weighted round robin (all of a's picks, then b's) has runs of {@code w_i}, which breaks this bound
     * for every set here with an endpoint heavier than twice its pigeonhole run (e.g. 5,5,5,1: 5 > 2).
     */
    @ParameterizedTest(name = "weights {0}")
    @MethodSource("weightSets")
    void neverPicksAnEndpointMoreTimesInARowThanItsShareNeeds(int[] weights) {
        Run run = Run.of(weights, 3);
        int total = Arrays.stream(weights).sum() / run.gcd();
        int[] longest = run.longestRuns();
        for (int i = 0; i < weights.length; i++) {
            int weight = weights[i] / run.gcd();
            int pigeonhole = (weight + (total - weight) - 1) / (total - weight);
            assertThat(longest[i]).as("longest run of endpoint %d (weight %d of %d)", i, weight, total)
                    .isLessThanOrEqualTo(2 * pigeonhole);
        }
    }

    @Test
    void interleavesFiveOneOneLikeNginx() {
        Run run = Run.of(new int[] {5, 1, 1}, 4);

        // NGINX's documented order is a a b a c a a; the picker starts anywhere in it.
        String cycle = "aabacaa";
        String picked = run.letters();
        assertThat((cycle + cycle + cycle + cycle).contains(picked.substring(0, 14))).isTrue();
        assertThat(picked).doesNotContain("aaaaa"); // a bursty schedule starts with five a's
        assertThat(run.longestRuns()).containsExactly(4, 1, 1);
    }

    @Test
    void bothRoundRobinsKeepTheirTurnAsTheCounterPasses2To31() {
        Rng justBelow = new Rng() { // the start: two picks before the counter turns negative
            @Override
            public int nextInt(int bound) {
                return Integer.MAX_VALUE - 1;
            }

            @Override
            public double nextDouble() {
                return 0;
            }
        };
        List<EndpointState> states = TestEndpoints.states(TestEndpoints.withWeights(new int[] {1, 1, 1}));
        List<EndpointState> weighted = TestEndpoints.states(TestEndpoints.withWeights(new int[] {2, 1}));
        Map<EndpointState, Integer> index = indexOf(states);
        Map<EndpointState, Integer> weightedIndex = indexOf(weighted);
        Picker plain = new RoundRobin(EndpointSet.of(states), justBelow, Ticker.system());
        Picker smooth = new SmoothWeightedRoundRobin(EndpointSet.of(weighted), justBelow, Ticker.system());

        int[] turns = new int[9];
        int[] weightedTurns = new int[9];
        for (int k = 0; k < turns.length; k++) {
            turns[k] = index.get(taken(plain));
            weightedTurns[k] = weightedIndex.get(taken(smooth));
        }

        for (int start = 0; start + 3 <= turns.length; start++) {
            assertThat(IntStream.of(turns).skip(start).limit(3).distinct().count()).as("window at %d of %s", start,
                    Arrays.toString(turns)).isEqualTo(3);
            assertThat(IntStream.of(weightedTurns).skip(start).limit(3).filter(i -> i == 0).count())
                    .as("weight 2 of 3 in the window at %d of %s", start, Arrays.toString(weightedTurns)).isEqualTo(2);
        }
    }

    private static EndpointState taken(Picker picker) {
        EndpointState state = ((PickResult.Picked) picker.pick(PickContext.NONE)).endpoint();
        state.release();
        return state;
    }

    @Test
    void scalesVeryLongCyclesDownKeepingProportions() {
        int[] weights = IntStream.range(0, 200).map(i -> 1 + (i * 7919) % 10_000).toArray();
        List<EndpointState> states = TestEndpoints.states(TestEndpoints.withWeights(weights));
        SmoothWeightedRoundRobin picker = new SmoothWeightedRoundRobin(EndpointSet.of(states), Rng.seeded(1), Ticker.system());
        int cycle = picker.cycleLength();
        long total = Arrays.stream(weights).asLongStream().sum();
        assertThat(cycle).isLessThanOrEqualTo(SmoothWeightedRoundRobin.maxCycle(weights.length)).isLessThan((int) total);

        int[] counts = new int[weights.length];
        Map<EndpointState, Integer> index = indexOf(states);
        for (int k = 0; k < cycle; k++) {
            EndpointState state = ((PickResult.Picked) picker.pick(PickContext.NONE)).endpoint();
            state.release();
            counts[index.get(state)]++;
        }
        // Each weight is scaled and rounded down on its own (at least 1), so an endpoint's count may be
        // up to one below its exact share, and the shortened cycle lifts everyone by less than one more.
        for (int i = 0; i < weights.length; i++) {
            assertThat((double) counts[i]).as("endpoint %d", i).isCloseTo((double) cycle * weights[i] / total,
                    org.assertj.core.api.Assertions.within(2.0));
        }
    }

    private static Map<EndpointState, Integer> indexOf(List<EndpointState> states) {
        Map<EndpointState, Integer> index = new IdentityHashMap<>();
        for (int i = 0; i < states.size(); i++) {
            index.put(states.get(i), i);
        }
        return index;
    }

    /** A few cycles of picks from a fresh weighted-round-robin picker, as member indexes. */
    private record Run(int[] weights, int[] sequence, int cycle) {

        static Run of(int[] weights, int cycles) {
            List<EndpointState> states = TestEndpoints.states(TestEndpoints.withWeights(weights));
            Picker picker = Policies.of(Policies.WEIGHTED_ROUND_ROBIN,
                    BalancerOptions.defaults().withRng(Rng.seeded(7))).newPicker(EndpointSet.of(states));
            int cycle = picker instanceof SmoothWeightedRoundRobin smooth ? smooth.cycleLength() : weights.length;
            Map<EndpointState, Integer> index = indexOf(states);
            int[] sequence = new int[cycles * cycle];
            for (int k = 0; k < sequence.length; k++) {
                EndpointState state = ((PickResult.Picked) picker.pick(PickContext.NONE)).endpoint();
                state.release();
                sequence[k] = index.get(state);
            }
            return new Run(weights, sequence, cycle);
        }

        int gcd() {
            return Arrays.stream(weights).sum() / cycle;
        }

        /** The longest run of each endpoint; two or more cycles include the runs across a cycle's end. */
        int[] longestRuns() {
            int[] longest = new int[weights.length];
            int run = 0;
            for (int k = 0; k < sequence.length; k++) {
                run = k > 0 && sequence[k] == sequence[k - 1] ? run + 1 : 1;
                longest[sequence[k]] = Math.max(longest[sequence[k]], run);
            }
            return longest;
        }

        String letters() {
            StringBuilder text = new StringBuilder();
            for (int member : sequence) {
                text.append((char) ('a' + member));
            }
            return text.toString();
        }
    }
}
