package dev.ballast.core.pick;

import dev.ballast.core.state.EndpointState;
import dev.ballast.core.testing.FakeTicker;
import dev.ballast.core.testing.TestEndpoints;
import dev.ballast.core.time.Ticker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.IntUnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * least-connections' two pickers, the tree ({@link LeastConnections}) and the scan over a few endpoints
 * ({@link LeastConnectionsScan}): every behaviour is checked on both, at every size.
 */
class LeastConnectionsTest {

    enum Kind { TREE, SCAN }

    private static Picker leastConnections(Kind kind, List<EndpointState> states) {
        return leastConnections(kind, states, new FakeTicker());
    }

    private static Picker leastConnections(Kind kind, List<EndpointState> states, Ticker ticker) {
        EndpointSet set = EndpointSet.of(states);
        return kind == Kind.TREE
                ? new LeastConnections(set, Rng.seeded(5), ticker) : new LeastConnectionsScan(set, Rng.seeded(5), ticker);
    }

    private static Picker policy(List<EndpointState> states) {
        return Policies.of(Policies.LEAST_CONNECTIONS, BalancerOptions.defaults().withRng(Rng.seeded(5)))
                .newPicker(EndpointSet.of(states));
    }

    @Test
    void aFewEndpointsAreScannedAndMoreGetTheTree() {
        int most = LeastConnectionsScan.MAX_ENDPOINTS;
        assertThat(policy(TestEndpoints.states(TestEndpoints.equal(1)))).isInstanceOf(LeastConnectionsScan.class);
        assertThat(policy(TestEndpoints.states(TestEndpoints.equal(most)))).isInstanceOf(LeastConnectionsScan.class);
        assertThat(policy(TestEndpoints.states(TestEndpoints.equal(most + 1)))).isInstanceOf(LeastConnections.class);
    }

    private static EndpointState pick(Picker picker) {
        return ((PickResult.Picked) picker.pick(PickContext.NONE)).endpoint();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void prefersTheIdleEndpoint(Kind kind) {
        List<EndpointState> states = TestEndpoints.states(TestEndpoints.equal(3));
        Picker picker = leastConnections(kind, states);
        // Busy before and after the picker was built: it follows loads however they change.
        states.get(0).acquire();
        states.get(1).acquire();
        states.get(1).acquire();

        assertThat(pick(picker)).isSameAs(states.get(2));
        assertThat(pick(picker)).isIn(states.get(0), states.get(2)); // both hold one now
        states.get(0).release();
        assertThat(pick(picker)).isSameAs(states.get(0));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void weighsLoadsByWeight(Kind kind) {
        List<EndpointState> states = TestEndpoints.states(TestEndpoints.withWeights(1, 2, 3));
        Picker picker = leastConnections(kind, states);

        assertThat(pick(picker)).isSameAs(states.get(2)); // idle: 1/3 < 1/2 < 1/1
        for (int k = 1; k < 60; k++) {
            pick(picker);
        }
        // Held loads settle in proportion: (active + 1) / weight equal up to one request.
        assertThat(states).extracting(EndpointState::active).containsExactly(10, 20, 30);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void breaksTiesInTurn(Kind kind) {
        List<EndpointState> states = TestEndpoints.states(TestEndpoints.equal(7));
        Picker picker = leastConnections(kind, states);

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

    /**
     * Busy threads break ties on arcs of their own (StripedCursor, on the real clock, over enough
     * endpoints to split): together they must still give every idle endpoint its turn, about as evenly
     * as one thread does.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void tiesStillGoToEveryEndpointEvenlyWhenTwoThreadsPickAtOnce(Kind kind) throws Exception {
        int size = 1_000;
        List<EndpointState> states = TestEndpoints.states(TestEndpoints.equal(size));
        Picker picker = leastConnections(kind, states, Ticker.system());
        int picks = 400_000;
        int[][] counts = new int[2][size];
        List<Thread> workers = new ArrayList<>();
        Set<Integer> stripes = new HashSet<>();
        while (workers.size() < 2) {
            int[] mine = counts[workers.size()];
            Thread worker = new Thread(() -> {
                for (int k = 0; k < picks; k++) {
                    EndpointState picked = pick(picker);
                    mine[states.indexOf(picked)]++;
                    picked.release();
                }
            });
            if (stripes.add(StripedCursor.stripeOf(worker))) {
                workers.add(worker);
            }
        }
        workers.forEach(Thread::start);
        for (Thread worker : workers) {
            worker.join(30_000);
            assertThat(worker.isAlive()).isFalse();
        }

        int mean = 2 * picks / size;
        for (int i = 0; i < size; i++) {
            // Measured: within 10% of the mean for the scan, 10-20% for the tree, whose threads run faster.
            assertThat(counts[0][i] + counts[1][i]).as("endpoint %d", i).isBetween(mean * 2 / 3, mean * 3 / 2);
        }
    }

    static Stream<Arguments> sizesAndWeights() {
        IntUnaryOperator equal = i -> 1;
        IntUnaryOperator mixed = i -> 1 + i * 7 % 10;
        // 33 and 1,025 sit just past a level of the 32-ary tree (LeastConnections.FANOUT).
        return Stream.of(Kind.values()).flatMap(kind -> Stream.of(1, 3, 10, 17, 33, 100, 257, 1_000, 1_025)
                .flatMap(size -> Stream.of(
                        Arguments.of(kind, size, "equal", equal), Arguments.of(kind, size, "mixed", mixed))));
    }

    /**
     * A random mix of picks that are held, releases, and loads added outside this picker. Before
     * every pick the exact least (active + 1) / weight is computed by a scan; the picker must pick an
     * endpoint with exactly that load.
     */
    @ParameterizedTest(name = "{0}, {1} endpoints, {2} weights")
    @MethodSource("sizesAndWeights")
    void alwaysPicksAnEndpointWithTheFewestRequestsPerWeight(Kind kind, int size, String label, IntUnaryOperator weight) {
        List<EndpointState> states = TestEndpoints.states(TestEndpoints.weighted(size, weight));
        EndpointSet set = EndpointSet.of(states);
        Picker picker = leastConnections(kind, states);
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

    /**
     * Threads acquire and release concurrently (the tree's updates race each other), then stop and
     * keep part of their load. The index must have settled on the truth: every later pick, checked
     * against a scan, is an endpoint with the least load.
     */
    @ParameterizedTest(name = "{0}, {1} endpoints, {2} weights")
    @MethodSource("sizesAndWeights")
    void settlesOnTheExactLoadsAfterConcurrentUpdates(Kind kind, int size, String label, IntUnaryOperator weight)
            throws Exception {
        List<EndpointState> states = TestEndpoints.states(TestEndpoints.weighted(size, weight));
        EndpointSet set = EndpointSet.of(states);
        Picker picker = leastConnections(kind, states);
        int threads = 4;
        List<List<EndpointState>> kept = new ArrayList<>();
        List<Thread> workers = new ArrayList<>();
        long deadline = System.nanoTime() + 150_000_000L;
        for (int t = 0; t < threads; t++) {
            List<EndpointState> mine = new ArrayList<>();
            kept.add(mine);
            int seed = t;
            workers.add(new Thread(() -> {
                Random random = new Random(seed);
                while (System.nanoTime() - deadline < 0) {
                    if (mine.size() < 50 && random.nextBoolean()) {
                        if (random.nextInt(4) == 0) {
                            EndpointState elsewhere = states.get(random.nextInt(size)); // not through this picker
                            elsewhere.acquire();
                            mine.add(elsewhere);
                        } else {
                            mine.add(pick(picker));
                        }
                    } else if (!mine.isEmpty()) {
                        mine.remove(random.nextInt(mine.size())).release();
                    }
                }
            }));
        }
        workers.forEach(Thread::start);
        for (Thread worker : workers) {
            worker.join(10_000);
            assertThat(worker.isAlive()).isFalse();
        }

        for (int step = 0; step < 500; step++) {
            int best = 0;
            for (int i = 1; i < size; i++) {
                if (lighter(set, i, best)) {
                    best = i;
                }
            }
            EndpointState picked = pick(picker);
            int index = set.indexOf(picked);
            picked.release();
            assertThat(lighter(set, best, index)).as("step %d: picked %d, least is %d", step, index, best).isFalse();
            picked.acquire();
            kept.get(0).add(picked);
        }
        kept.forEach(list -> list.forEach(EndpointState::release));
        assertThat(states).allSatisfy(state -> assertThat(state.active()).isZero());
    }

    /**
     * The tightest race the index has: as many threads as cores acquiring and releasing endpoints of
     * one group of leaves, so that the updates of one node collide all the time. At rest the
     * tree must match the live counts exactly, at every node.
     */
    @ParameterizedTest(name = "{0} endpoints")
    @ValueSource(ints = {LeastConnections.FANOUT, LeastConnections.FANOUT * 2 + 8})
    void everyNodeMatchesTheLiveCountsOnceUpdatesStop(int size) throws Exception {
        List<EndpointState> states = TestEndpoints.states(TestEndpoints.weighted(size, i -> 1 + i % 3));
        LeastConnections picker = (LeastConnections) leastConnections(Kind.TREE, states);
        int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
        List<Thread> workers = new ArrayList<>();
        long deadline = System.nanoTime() + 300_000_000L;
        for (int t = 0; t < threads; t++) {
            int seed = t;
            workers.add(new Thread(() -> {
                Random random = new Random(seed);
                List<EndpointState> held = new ArrayList<>();
                while (System.nanoTime() - deadline < 0) {
                    if (held.size() < 8 && random.nextBoolean()) {
                        held.add(random.nextBoolean() ? pick(picker)
                                : acquired(states.get(random.nextInt(LeastConnections.FANOUT))));
                    } else if (!held.isEmpty()) {
                        held.remove(held.size() - 1).release();
                    }
                }
                // Keep some load so that the final state is not simply "all idle".
                for (int k = held.size() / 2; k > 0; k--) {
                    held.remove(held.size() - 1).release();
                }
            }));
        }
        workers.forEach(Thread::start);
        for (Thread worker : workers) {
            worker.join(10_000);
            assertThat(worker.isAlive()).isFalse();
        }

        assertThat(picker.isSettled()).isTrue();
    }

    private static EndpointState acquired(EndpointState state) {
        state.acquire();
        return state;
    }

    /** (active_a + 1) / w_a < (active_b + 1) / w_b, exactly. */
    private static boolean lighter(EndpointSet set, int a, int b) {
        return (long) (set.get(a).active() + 1) * set.weight(b) < (long) (set.get(b).active() + 1) * set.weight(a);
    }
}
