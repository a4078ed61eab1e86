package dev.ballast.core.pick;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.state.EndpointRegistry;
import dev.ballast.core.state.EndpointState;
import dev.ballast.core.testing.FakeTicker;
import dev.ballast.core.testing.TestEndpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** ring-hash and maglev: few keys move on membership changes, shares are even, mappings are stable. */
class ConsistentHashingTest {

    private static final int KEYS = 100_000;
    private static final long[] KEY_HASHES = new long[KEYS];

    static {
        for (int i = 0; i < KEYS; i++) {
            KEY_HASHES[i] = HashKeys.hash("session-" + i);
        }
    }

    static Stream<Arguments> hashBalancersAndSizes() {
        return Stream.of(Policies.RING_HASH, Policies.MAGLEV)
                .flatMap(id -> Stream.of(10, 100).map(size -> Arguments.of(id, size)));
    }

    @ParameterizedTest(name = "{0} over {1} endpoints")
    @MethodSource("hashBalancersAndSizes")
    void removingOneEndpointMovesAtMostItsShareOfKeys(String id, int size) {
        List<Endpoint> before = TestEndpoints.equal(size);
        List<Endpoint> after = new ArrayList<>(before);
        Endpoint removed = after.remove(size / 2);

        String[] ownersBefore = owners(id, before);
        String[] ownersAfter = owners(id, after);

        int moved = 0;
        for (int k = 0; k < KEYS; k++) {
            if (!ownersBefore[k].equals(ownersAfter[k])) {
                moved++;
            } else {
                assertThat(ownersBefore[k]).isNotEqualTo(removed.address());
            }
        }
        assertThat((double) moved / KEYS).isLessThanOrEqualTo(1.0 / size + 0.05);
        if (id.equals(Policies.RING_HASH)) {
            // On a ring only the removed endpoint's keys move, to the next point on.
            long removedKeys = Stream.of(ownersBefore).filter(removed.address()::equals).count();
            assertThat(moved).isEqualTo((int) removedKeys);
        }
    }

    @Test
    void onARingScaledDownForLargeWeightsRemovingOneEndpointMovesOnlyItsKeys() {
        // 10 x 1,000: past what 160 points a unit of weight fit in the ring, so the points are scaled.
        List<Endpoint> before = TestEndpoints.weighted(10, i -> 1_000);
        List<Endpoint> after = new ArrayList<>(before);
        Endpoint removed = after.remove(5);

        String[] ownersBefore = owners(Policies.RING_HASH, before);
        String[] ownersAfter = owners(Policies.RING_HASH, after);

        int moved = 0;
        for (int k = 0; k < KEYS; k++) {
            if (!ownersBefore[k].equals(ownersAfter[k])) {
                moved++;
            }
        }
        long removedKeys = Stream.of(ownersBefore).filter(removed.address()::equals).count();
        assertThat(moved).as("the removed endpoint's tenth, not a fifth").isEqualTo((int) removedKeys);
    }

    @ParameterizedTest(name = "{0} over {1} endpoints")
    @MethodSource("hashBalancersAndSizes")
    void addingOneEndpointMovesAtMostItsShareOfKeys(String id, int size) {
        List<Endpoint> before = TestEndpoints.equal(size);
        List<Endpoint> after = TestEndpoints.equal(size + 1);
        String added = after.get(size).address();

        String[] ownersBefore = owners(id, before);
        String[] ownersAfter = owners(id, after);

        int moved = 0;
        for (int k = 0; k < KEYS; k++) {
            if (!ownersBefore[k].equals(ownersAfter[k])) {
                moved++;
                if (id.equals(Policies.RING_HASH)) {
                    assertThat(ownersAfter[k]).isEqualTo(added); // keys only move to the newcomer
                }
            }
        }
        assertThat(moved).isPositive();
        assertThat((double) moved / KEYS).isLessThanOrEqualTo(1.0 / size + 0.05);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Policies.RING_HASH, Policies.MAGLEV})
    void sameMembershipInAnyOrderGivesTheSameMapping(String id) {
        List<Endpoint> endpoints = TestEndpoints.weighted(50, i -> 1 + i % 3);
        List<Endpoint> shuffled = new ArrayList<>(endpoints);
        Collections.shuffle(shuffled, new Random(3));
        assertThat(shuffled).isNotEqualTo(endpoints);

        // Separate registries and pickers, as in two proxy processes that list endpoints differently.
        assertThat(owners(id, shuffled)).containsExactly(owners(id, endpoints));
    }

    @Test
    void ringWrapsAroundPastItsLastPoint() {
        List<EndpointState> states = TestEndpoints.states(TestEndpoints.equal(10));
        RingHash ring = (RingHash) Policies.of(Policies.RING_HASH, BalancerOptions.defaults())
                .newPicker(EndpointSet.of(states));

        // Hashes are unsigned: -1 is the largest, above every point, and goes to the first point, as 0 does.
        assertThat(ring.ownerOf(-1L)).isEqualTo(ring.ownerOf(0L)).isEqualTo(ring.ownerAtPoint(0));
    }

    @Test
    void ringSendsEachKeyToTheFirstPointAtOrAfterIt() {
        List<EndpointState> states = TestEndpoints.states(TestEndpoints.weighted(100, i -> 1 + i % 5));
        RingHash ring = (RingHash) Policies.of(Policies.RING_HASH, BalancerOptions.defaults())
                .newPicker(EndpointSet.of(states));

        // Exactly on every point, and just below it: checks the lookup index at every bucket edge.
        int size = ring.ringSize();
        for (int i = 1; i < size; i++) {
            long point = ring.pointHash(i);
            long previous = ring.pointHash(i - 1);
            if (point == previous) {
                continue; // two points with the same top bits (about one ring in 10^5): the first wins
            }
            assertThat(ring.ownerOf(point)).as("point %d", i).isEqualTo(ring.ownerAtPoint(i));
            if (Long.compareUnsigned(point - previous, 1L << 32) > 0) {
                assertThat(ring.ownerOf(point - 1)).as("below point %d", i).isEqualTo(ring.ownerAtPoint(i));
                assertThat(ring.ownerOf(previous + (1L << 32))).as("past point %d", i - 1)
                        .isEqualTo(ring.ownerAtPoint(i));
            }
        }
        assertThat(ring.ownerOf(ring.pointHash(0))).isEqualTo(ring.ownerAtPoint(0));
    }

    @Test
    void maglevSharesTheTableEvenlyAtTheDefaultSize() {
        List<EndpointState> states = TestEndpoints.states(TestEndpoints.equal(100));
        Maglev maglev = (Maglev) Policies.of(Policies.MAGLEV, BalancerOptions.defaults())
                .newPicker(EndpointSet.of(states));

        int[] slots = new int[100];
        long total = 0;
        for (int i = 0; i < 100; i++) {
            slots[i] = maglev.slotsOf(i);
            total += slots[i];
        }
        int max = java.util.Arrays.stream(slots).max().orElseThrow();
        int min = java.util.Arrays.stream(slots).min().orElseThrow();
        assertThat(total).isEqualTo(Maglev.DEFAULT_TABLE_SIZE);
        assertThat((double) max / min).isLessThanOrEqualTo(1.10);
    }

    @Test
    void maglevSharesTheTableInProportionToWeight() {
        List<EndpointState> states = TestEndpoints.states(TestEndpoints.weighted(100, i -> 1 + i % 4));
        EndpointSet set = EndpointSet.of(states);
        Maglev maglev = (Maglev) Policies.of(Policies.MAGLEV, BalancerOptions.defaults()).newPicker(set);

        for (int i = 0; i < set.size(); i++) {
            double expected = (double) Maglev.DEFAULT_TABLE_SIZE * set.weight(i) / set.totalWeight();
            assertThat((double) maglev.slotsOf(i)).as("slots of endpoint %d", i)
                    .isBetween(expected * 0.95, expected * 1.05);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Policies.RING_HASH, Policies.MAGLEV})
    void picksWithAKeyGoToTheKeysOwner(String id) {
        List<EndpointState> states = TestEndpoints.states(TestEndpoints.equal(10));
        EndpointSet set = EndpointSet.of(states);
        Picker picker = Policies.of(id, BalancerOptions.defaults()).newPicker(set);

        for (int k = 0; k < 1_000; k++) {
            PickResult result = picker.pick(PickContext.ofHash(KEY_HASHES[k]));
            EndpointState picked = ((PickResult.Picked) result).endpoint();
            picked.release();
            assertThat(set.indexOf(picked)).isEqualTo(ownerOf(picker, KEY_HASHES[k]));
        }
    }

    /**
     * Consistent hashing with bounded loads: with every thread sending the same key (the worst case for
     * plain consistent hashing: all on one endpoint) and holding what it gets, no endpoint ever holds
     * more than {@code ceil(c x total / n)}, where total is everything held at the end.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Policies.RING_HASH, Policies.MAGLEV})
    void boundedLoadCapHoldsUnderConcurrentPicks(String id) throws Exception {
        int size = 10;
        int threads = 8;
        int picksPerThread = 2_000;
        double c = 1.25;
        EndpointRegistry registry = new EndpointRegistry(new FakeTicker());
        List<EndpointState> states = registry.sync(TestEndpoints.equal(size));
        Picker picker = Policies.of(id, BalancerOptions.defaults().withBoundedLoad(c))
                .newPicker(EndpointSet.of(states));
        PickContext hot = PickContext.ofHash(KEY_HASHES[0]);
        CyclicBarrier start = new CyclicBarrier(threads);

        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<List<EndpointState>>> held = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                held.add(pool.submit(() -> {
                    List<EndpointState> mine = new ArrayList<>(picksPerThread);
                    start.await(10, TimeUnit.SECONDS);
                    for (int k = 0; k < picksPerThread; k++) {
                        if (picker.pick(hot) instanceof PickResult.Picked picked) {
                            mine.add(picked.endpoint());
                        }
                    }
                    return mine;
                }));
            }
            List<EndpointState> all = new ArrayList<>();
            for (Future<List<EndpointState>> future : held) {
                all.addAll(future.get(30, TimeUnit.SECONDS));
            }

            long total = registry.totalActive();
            assertThat(total).isEqualTo(all.size()).isEqualTo((long) threads * picksPerThread);
            int cap = (int) Math.ceil(c * total / size);
            for (EndpointState state : states) {
                assertThat(state.active()).as(state.address()).isLessThanOrEqualTo(cap);
            }
            // Without the bound all of it would sit on the hot key's owner; with it, it needs n / c endpoints.
            assertThat(states.stream().filter(state -> state.active() > 0).count())
                    .isGreaterThanOrEqualTo((long) Math.ceil(size / c));
            all.forEach(EndpointState::release);
            assertThat(registry.totalActive()).isZero();
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Policies.RING_HASH, Policies.MAGLEV})
    void boundedLoadSendsAKeyToItsOwnerWhileItHasRoom(String id) {
        EndpointRegistry registry = new EndpointRegistry(new FakeTicker());
        List<EndpointState> states = registry.sync(TestEndpoints.equal(4));
        EndpointSet set = EndpointSet.of(states);
        Picker picker = Policies.of(id, BalancerOptions.defaults().withBoundedLoad(1.25)).newPicker(set);
        EndpointState owner = set.get(ownerOf(picker, KEY_HASHES[1]));

        // Cap for the first pick: ceil(1.25 x 1 / 4) = 1; the owner takes it.
        EndpointState first = ((PickResult.Picked) picker.pick(PickContext.ofHash(KEY_HASHES[1]))).endpoint();
        assertThat(first).isSameAs(owner);
        // Second: cap ceil(1.25 x 2 / 4) = 1, the owner is full, the key walks on to another endpoint.
        EndpointState second = ((PickResult.Picked) picker.pick(PickContext.ofHash(KEY_HASHES[1]))).endpoint();
        assertThat(second).isNotSameAs(owner);
        first.release();
        second.release();
        // Idle again: back to the owner.
        EndpointState third = ((PickResult.Picked) picker.pick(PickContext.ofHash(KEY_HASHES[1]))).endpoint();
        assertThat(third).isSameAs(owner);
        third.release();
    }

    /**
     * A picker built while requests are in flight (a reload or health change rebuilds it) counts them in
     * its average, and follows their releases, whichever picker handed them out.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Policies.RING_HASH, Policies.MAGLEV})
    void boundedLoadCountsRequestsInFlightFromBeforeThePickerWasBuilt(String id) {
        EndpointRegistry registry = new EndpointRegistry(new FakeTicker());
        List<EndpointState> states = registry.sync(TestEndpoints.equal(4));
        EndpointSet set = EndpointSet.of(states);
        Policy policy = Policies.of(id, BalancerOptions.defaults().withBoundedLoad(1.25));
        EndpointState owner = set.get(ownerOf(policy.newPicker(set), KEY_HASHES[1]));
        // Held since an earlier picker: one on the owner, two on each other endpoint.
        owner.acquire();
        List<EndpointState> others = states.stream().filter(state -> state != owner).toList();
        others.forEach(state -> {
            state.acquire();
            state.acquire();
        });

        Picker rebuilt = policy.newPicker(set);
        // 7 in flight: cap ceil(1.25 x 8 / 4) = 3, so the owner (holding 1) takes the key. A total
        // that missed them would give cap ceil(1.25 x 1 / 4) = 1 and send the key elsewhere.
        EndpointState picked = ((PickResult.Picked) rebuilt.pick(PickContext.ofHash(KEY_HASHES[1]))).endpoint();
        assertThat(picked).isSameAs(owner);

        // The others' requests end: 2 in flight (both the owner's), cap ceil(1.25 x 3 / 4) = 1, owner full.
        others.forEach(state -> {
            state.release();
            state.release();
        });
        EndpointState next = ((PickResult.Picked) rebuilt.pick(PickContext.ofHash(KEY_HASHES[1]))).endpoint();
        assertThat(next).isNotSameAs(owner);
        next.release();
        picked.release();
        owner.release();
        assertThat(registry.totalActive()).isZero();
    }

    /** The owning address of every key, from a fresh registry and picker over {@code endpoints}. */
    private static String[] owners(String id, List<Endpoint> endpoints) {
        EndpointSet set = EndpointSet.of(new EndpointRegistry(new FakeTicker()).sync(endpoints));
        Picker picker = Policies.of(id, BalancerOptions.defaults()).newPicker(set);
        String[] owners = new String[KEYS];
        for (int k = 0; k < KEYS; k++) {
            owners[k] = set.get(ownerOf(picker, KEY_HASHES[k])).address();
        }
        return owners;
    }

    private static int ownerOf(Picker picker, long hash) {
        return switch (picker) {
            case RingHash ring -> ring.ownerOf(hash);
            case Maglev maglev -> maglev.ownerOf(hash);
            default -> throw new AssertionError("not a hash balancer: " + picker);
        };
    }
}
