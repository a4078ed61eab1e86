package dev.ballast.core.pick;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.state.EndpointState;
import dev.ballast.core.state.Health;
import dev.ballast.core.testing.FakeScheduler;
import dev.ballast.core.testing.FakeTicker;
import dev.ballast.core.testing.TestEndpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongFunction;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BalancerTest {

    private final FakeTicker ticker = new FakeTicker();
    private final FakeScheduler scheduler = new FakeScheduler(ticker);

    static Stream<String> ids() {
        return Policies.ids().stream();
    }

    private Policy policy(String id) {
        return Policies.of(id, BalancerOptions.defaults().withRng(Rng.seeded(17)).withTicker(ticker));
    }

    private Balancer.Builder balancer(String id) {
        return Balancer.builder(policy(id)).ticker(ticker).scheduler(scheduler);
    }

    private static PickResult.Reason reasonOf(PickResult result) {
        return result instanceof PickResult.Unavailable unavailable ? unavailable.reason() : null;
    }

    private static EndpointState picked(PickResult result) {
        assertThat(result).isInstanceOf(PickResult.Picked.class);
        return ((PickResult.Picked) result).endpoint();
    }

    /** The endpoints {@code picks} released picks land on. */
    private static Set<EndpointState> pickedOver(Balancer balancer, int picks, PickContext context) {
        Set<EndpointState> seen = new HashSet<>();
        for (int k = 0; k < picks; k++) {
            EndpointState state = picked(balancer.pick(context));
            state.release();
            seen.add(state);
        }
        return seen;
    }

    /**
     * A retry's keyed context: {@code avoid} failed last; {@code failed}, when not null, lists every
     * endpoint its tries failed on, else only {@code avoid} is avoided (the interface's default).
     */
    private record RetryContext(long hash, EndpointState avoid, List<EndpointState> failed) implements PickContext {
        @Override
        public boolean hasHash() {
            return true;
        }

        @Override
        public boolean avoids(EndpointState endpoint) {
            return failed == null ? PickContext.super.avoids(endpoint) : failed.contains(endpoint);
        }
    }

    private static PickContext avoiding(EndpointState avoided, long hash) {
        return new RetryContext(hash, avoided, null);
    }

    /** Every endpoint in {@code failed} was tried, the last of them most recently. */
    private static PickContext afterFailuresOn(List<EndpointState> failed, long hash) {
        return new RetryContext(hash, failed.getLast(), failed);
    }

    /** Where one pick for each of {@code keys} keys lands, each released at once. */
    private static List<EndpointState> landings(Balancer balancer, int keys, LongFunction<PickContext> context) {
        List<EndpointState> landed = new ArrayList<>();
        for (int k = 0; k < keys; k++) {
            EndpointState state = picked(balancer.pick(context.apply(HashKeys.hash("key-" + k))));
            state.release();
            landed.add(state);
        }
        return landed;
    }

    // ---- no endpoint ----

    @Test
    void saysNoEndpointsUntilSomeAreSet() {
        Balancer balancer = balancer(Policies.ROUND_ROBIN).build();
        assertThat(reasonOf(balancer.pick(PickContext.NONE))).isEqualTo(PickResult.Reason.NO_ENDPOINTS);

        balancer.setEndpoints(TestEndpoints.equal(2));
        assertThat(balancer.pick(PickContext.NONE)).isInstanceOf(PickResult.Picked.class);

        balancer.setEndpoints(List.of());
        assertThat(reasonOf(balancer.pick(PickContext.NONE))).isEqualTo(PickResult.Reason.NO_ENDPOINTS);
        assertThat(balancer.endpoints().isEmpty()).isTrue();
    }

    @Test
    void saysAllUnhealthyWhenPanicModeIsOffAndNothingIsEligible() {
        Balancer balancer = balancer(Policies.ROUND_ROBIN).panicThreshold(0).build();
        balancer.setEndpoints(TestEndpoints.equal(3));
        balancer.members().forEach(state -> state.setHealth(Health.UNHEALTHY));
        balancer.refresh();

        assertThat(reasonOf(balancer.pick(PickContext.NONE))).isEqualTo(PickResult.Reason.ALL_UNHEALTHY);
        assertThat(PickResult.Reason.ALL_UNHEALTHY.description()).isEqualTo("all endpoints unhealthy");
    }

    @Test
    void exactlyTheThresholdsShareEligibleIsNotPanicMode() {
        Balancer balancer = balancer(Policies.ROUND_ROBIN).panicThreshold(0.07).build();
        balancer.setEndpoints(TestEndpoints.equal(100));
        balancer.members().subList(7, 100).forEach(state -> state.setHealth(Health.UNHEALTHY));
        balancer.refresh(); // 7 of 100 at 7%: not fewer than the threshold (0.07 x 100 is 7.000000000000001)

        assertThat(balancer.endpoints().panic()).isFalse();
        balancer.members().get(6).setHealth(Health.UNHEALTHY);
        balancer.refresh();
        assertThat(balancer.endpoints().panic()).as("6 of 100").isTrue();
    }

    @Test
    void saysAllDrainingWhenEveryEndpointDrainsEvenInPanicMode() {
        Balancer balancer = balancer(Policies.ROUND_ROBIN).build();
        balancer.setEndpoints(TestEndpoints.equal(3));
        balancer.members().forEach(state -> state.setDraining(true));
        balancer.refresh();

        assertThat(reasonOf(balancer.pick(PickContext.NONE))).isEqualTo(PickResult.Reason.ALL_DRAINING);
        assertThat(PickResult.Reason.ALL_DRAINING.description()).isEqualTo("all endpoints draining");

        balancer.members().get(0).setDraining(false);
        balancer.members().get(0).setHealth(Health.UNHEALTHY);
        balancer.refresh();
        assertThat(reasonOf(balancer.pick(PickContext.NONE))).as("in panic mode the one not draining takes requests")
                .isNull();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ring-hash", "maglev"})
    void whileANewPickerIsBuiltTheOneInForceKeepsCountingTheLoadItsBoundIsFrom(String id) throws Exception {
        Policy bounded = Policies.of(id, BalancerOptions.defaults().withRng(Rng.seeded(17)).withTicker(ticker)
                .withBoundedLoad(1.25));
        AtomicBoolean holdBuilds = new AtomicBoolean();
        CountDownLatch building = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        Policy slowToBuild = new Policy() {
            @Override
            public String id() {
                return bounded.id();
            }

            @Override
            public Picker newPicker(EndpointSet endpoints) {
                if (holdBuilds.get()) { // a large ring takes a while to build
                    building.countDown();
                    try {
                        finish.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return bounded.newPicker(endpoints);
            }
        };
        Balancer balancer = Balancer.builder(slowToBuild).ticker(ticker).scheduler(scheduler).build();
        balancer.setEndpoints(TestEndpoints.equal(4));
        PickContext sameKey = PickContext.ofHash(HashKeys.hash("hot"));
        List<EndpointState> held = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            held.add(picked(balancer.pick(sameKey)));
        }

        holdBuilds.set(true);
        Thread rebuild = Thread.ofPlatform().start(balancer::refresh);
        try {
            assertThat(building.await(10, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < 8; i++) { // 16 in flight over 4: a cap of 6 with the load counted, 3 if frozen at 8
                PickResult result = balancer.pick(sameKey);
                assertThat(reasonOf(result)).as("pick %d during the build", i).isNull();
                held.add(picked(result));
            }
        } finally {
            finish.countDown();
            rebuild.join(10_000);
        }
        held.forEach(EndpointState::release);
        assertThat(balancer.registry().totalActive()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ids")
    void saysAllOverCapacityWhenEveryEndpointHoldsItsLimit(String id) {
        Balancer balancer = balancer(id).maxRequestsPerEndpoint(2).build();
        balancer.setEndpoints(TestEndpoints.equal(3));
        List<EndpointState> held = new ArrayList<>();

        for (int k = 0; k < 6; k++) {
            held.add(picked(balancer.pick(PickContext.ofHash(HashKeys.hash("key-" + k)))));
        }
        assertThat(balancer.members()).allSatisfy(state -> assertThat(state.active()).isEqualTo(2));
        assertThat(reasonOf(balancer.pick(PickContext.ofHash(HashKeys.hash("key-6")))))
                .isEqualTo(PickResult.Reason.ALL_OVER_CAPACITY);
        assertThat(balancer.members()).allSatisfy(state -> assertThat(state.active()).isEqualTo(2));

        EndpointState freed = held.remove(4);
        freed.release();
        EndpointState next = picked(balancer.pick(PickContext.ofHash(HashKeys.hash("key-7"))));
        assertThat(next).isSameAs(freed);
        next.release();
        held.forEach(EndpointState::release);
        assertThat(balancer.registry().totalActive()).isZero();
    }

    // ---- panic mode ----

    @Test
    void panicsBelowTheThresholdAndPicksAmongAllEndpoints() {
        Balancer balancer = balancer(Policies.ROUND_ROBIN).build(); // default threshold: 50%
        balancer.setEndpoints(TestEndpoints.equal(10));
        List<EndpointState> members = balancer.members();
        for (int i = 0; i < 6; i++) {
            members.get(i).setHealth(Health.UNHEALTHY);
        }
        balancer.refresh(); // 4 of 10 eligible: below half

        assertThat(balancer.endpoints().panic()).isTrue();
        assertThat(pickedOver(balancer, 100, PickContext.NONE)).containsExactlyInAnyOrderElementsOf(members);

        members.get(0).setHealth(Health.HEALTHY);
        balancer.refresh(); // 5 of 10: not below half

        assertThat(balancer.endpoints().panic()).isFalse();
        List<EndpointState> healthy = new ArrayList<>(members.subList(6, 10));
        healthy.add(members.get(0));
        assertThat(pickedOver(balancer, 100, PickContext.NONE)).containsExactlyInAnyOrderElementsOf(healthy);
    }

    @Test
    void firstInPanicModeStillTakesTheFirstEligibleEndpoint() {
        Balancer balancer = balancer(Policies.FIRST).build(); // default threshold: 50%
        balancer.setEndpoints(TestEndpoints.equal(3));
        List<EndpointState> members = balancer.members();
        members.get(0).setHealth(Health.UNHEALTHY);
        members.get(1).setHealth(Health.UNHEALTHY);
        balancer.refresh(); // 1 of 3 eligible: panic

        assertThat(balancer.endpoints().panic()).isTrue();
        assertThat(pickedOver(balancer, 10, PickContext.NONE)).containsExactly(members.get(2));

        members.get(2).setHealth(Health.UNHEALTHY);
        balancer.refresh(); // none eligible: the first in file order, as without health

        assertThat(pickedOver(balancer, 10, PickContext.NONE)).containsExactly(members.get(0));
    }

    @Test
    void panicModeStillSkipsDrainingEndpoints() {
        Balancer balancer = balancer(Policies.ROUND_ROBIN).build();
        balancer.setEndpoints(TestEndpoints.equal(10));
        List<EndpointState> members = balancer.members();
        members.get(0).setDraining(true);
        members.get(1).setDraining(true);
        for (int i = 2; i < 8; i++) {
            members.get(i).setHealth(Health.UNHEALTHY);
        }
        balancer.refresh(); // 2 of 8 non-draining endpoints eligible

        assertThat(balancer.endpoints().panic()).isTrue();
        assertThat(pickedOver(balancer, 100, PickContext.NONE))
                .containsExactlyInAnyOrderElementsOf(members.subList(2, 10));
    }

    @Test
    void thresholdZeroTurnsPanicModeOff() {
        Balancer balancer = balancer(Policies.ROUND_ROBIN).panicThreshold(0).build();
        balancer.setEndpoints(TestEndpoints.equal(10));
        List<EndpointState> members = balancer.members();
        for (int i = 1; i < 10; i++) {
            members.get(i).setHealth(Health.UNHEALTHY);
        }
        balancer.refresh();

        assertThat(balancer.endpoints().panic()).isFalse();
        assertThat(pickedOver(balancer, 50, PickContext.NONE)).containsExactly(members.get(0));

        members.get(0).setHealth(Health.UNHEALTHY);
        balancer.refresh();
        assertThat(reasonOf(balancer.pick(PickContext.NONE))).isEqualTo(PickResult.Reason.ALL_UNHEALTHY);
    }

    @Test
    void rejectsThresholdsOutsideZeroToOne() {
        assertThatThrownBy(() -> Balancer.builder(Policies.roundRobin()).panicThreshold(1.5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("panic threshold: 1.5 (expected: 0..1)");
    }

    // ---- draining and ejection ----

    @Test
    void drainingEndpointsTakeNoNewRequestsButFinishTheirOwn() {
        Balancer balancer = balancer(Policies.LEAST_CONNECTIONS).build();
        balancer.setEndpoints(TestEndpoints.equal(3));
        EndpointState draining = balancer.members().get(1);
        draining.acquire();
        draining.setDraining(true);
        balancer.refresh();

        assertThat(pickedOver(balancer, 300, PickContext.NONE)).doesNotContain(draining).hasSize(2);
        assertThat(draining.active()).isEqualTo(1);
        draining.release();
        assertThat(balancer.registry().totalActive()).isZero();
    }

    @Test
    void readmitsAnEjectedEndpointWhenItsEjectionExpires() {
        Balancer balancer = balancer(Policies.ROUND_ROBIN).build();
        balancer.setEndpoints(TestEndpoints.equal(3));
        EndpointState ejected = balancer.members().get(2);
        ejected.eject(ticker.nanos() + Duration.ofSeconds(30).toNanos());
        balancer.refresh();

        assertThat(pickedOver(balancer, 30, PickContext.NONE)).doesNotContain(ejected);
        scheduler.advance(Duration.ofSeconds(29));
        assertThat(pickedOver(balancer, 30, PickContext.NONE)).doesNotContain(ejected);

        scheduler.advance(Duration.ofSeconds(1)); // the scheduled refresh, nobody calls refresh()
        assertThat(pickedOver(balancer, 30, PickContext.NONE)).contains(ejected).hasSize(3);
        assertThat(scheduler.pending()).isZero();
    }

    @Test
    void readmitsEjectedEndpointsEvenWhenNoneWasLeftToPick() {
        Balancer balancer = balancer(Policies.ROUND_ROBIN).panicThreshold(0).build();
        balancer.setEndpoints(TestEndpoints.equal(2));
        long until = ticker.nanos() + Duration.ofSeconds(10).toNanos();
        balancer.members().forEach(state -> state.eject(until));
        balancer.refresh();
        assertThat(reasonOf(balancer.pick(PickContext.NONE))).isEqualTo(PickResult.Reason.ALL_UNHEALTHY);

        scheduler.advance(Duration.ofSeconds(10));

        assertThat(pickedOver(balancer, 10, PickContext.NONE)).hasSize(2);
    }

    // ---- avoid ----

    @ParameterizedTest(name = "{0}")
    @MethodSource("ids")
    void neverReturnsTheAvoidedEndpointWhenAnotherIsEligible(String id) {
        Balancer balancer = balancer(id).build();
        balancer.setEndpoints(TestEndpoints.equal(3));

        for (EndpointState avoided : balancer.members()) {
            assertThat(landings(balancer, 200, hash -> avoiding(avoided, hash))).doesNotContain(avoided);
        }
        assertThat(balancer.registry().totalActive()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"weighted-round-robin", "weighted-random"})
    void aRetryThatAvoidsAnEndpointKeepsToTheOthersWeights(String id) {
        Balancer balancer = balancer(id).build();
        balancer.setEndpoints(TestEndpoints.withWeights(100, 1, 100));
        List<EndpointState> members = balancer.members();

        List<EndpointState> landed = landings(balancer, 30_000, hash -> avoiding(members.get(0), hash));

        long light = landed.stream().filter(members.get(1)::equals).count();
        assertThat(light).as("weight 1 of the 101 left: about 1%%, not a third").isLessThan(30_000 * 3 / 100);
        assertThat(balancer.registry().totalActive()).isZero();
    }

    @Test
    void aRetryThatAvoidsAnEndpointSplitsEvenlyOverTheOthersUnderRoundRobin() {
        Balancer balancer = balancer("round-robin").build();
        balancer.setEndpoints(TestEndpoints.equal(3));
        List<EndpointState> members = balancer.members();

        List<EndpointState> landed = landings(balancer, 30_000, hash -> avoiding(members.get(0), hash));

        long second = landed.stream().filter(members.get(1)::equals).count();
        assertThat(second).as("half of the retries each, not 5/9 to the one after the avoided").isBetween(14_400L, 15_600L);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ids")
    void aThirdTryGoesToTheEndpointNotYetTriedNotBackToTheFirst(String id) {
        Balancer balancer = balancer(id).build();
        balancer.setEndpoints(TestEndpoints.equal(3));
        List<EndpointState> members = balancer.members();

        for (int first = 0; first < 3; first++) {
            for (int second = 0; second < 3; second++) {
                if (second == first) {
                    continue;
                }
                List<EndpointState> failed = List.of(members.get(first), members.get(second));
                EndpointState untried = members.get(3 - first - second);
                assertThat(landings(balancer, 100, hash -> afterFailuresOn(failed, hash))).containsOnly(untried);
            }
        }
        assertThat(balancer.registry().totalActive()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ids")
    void whenEveryEndpointWasTriedAnotherTryAvoidsTheLastOne(String id) {
        Balancer balancer = balancer(id).build();
        balancer.setEndpoints(TestEndpoints.equal(2));
        List<EndpointState> failed = List.of(balancer.members().get(0), balancer.members().get(1));

        assertThat(landings(balancer, 100, hash -> afterFailuresOn(failed, hash))).containsOnly(failed.get(0));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ring-hash", "maglev"})
    void aRetryPassingOverAKeysEndpointStillKeepsTheBoundedLoadCap(String id) {
        Balancer balancer = Balancer.builder(Policies.of(id, BalancerOptions.defaults().withRng(Rng.seeded(17))
                .withTicker(ticker).withBoundedLoad(1.0))).ticker(ticker).scheduler(scheduler).build();
        balancer.setEndpoints(TestEndpoints.equal(3));
        EndpointState avoided = balancer.members().get(0);
        EndpointState busy = balancer.members().get(1);
        EndpointState idle = balancer.members().get(2);
        busy.acquire(); // at the cap: ceil(1.0 x (1 + 1) / 3) = 1

        assertThat(landings(balancer, 100, hash -> avoiding(avoided, hash))).containsOnly(idle);
        busy.release();
    }

    @Test
    void firstPassesOverToTheNextStandbyInOrderEvenInPanicMode() {
        Balancer balancer = balancer(Policies.FIRST).build();
        balancer.setEndpoints(TestEndpoints.equal(5));
        List<EndpointState> members = balancer.members();
        members.subList(2, 5).forEach(state -> state.setHealth(Health.UNHEALTHY));
        balancer.refresh();
        assertThat(balancer.endpoints().panic()).as("2 of 5 healthy").isTrue();

        assertThat(landings(balancer, 100, hash -> avoiding(members.get(0), hash)))
                .as("the eligible standby, not one of the unhealthy").containsOnly(members.get(1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ids")
    void returnsTheAvoidedEndpointWhenItIsTheOnlyOneWithRoom(String id) {
        Balancer balancer = balancer(id).maxRequestsPerEndpoint(1).build();
        balancer.setEndpoints(TestEndpoints.equal(2));
        EndpointState busy = balancer.members().get(0);
        EndpointState avoided = balancer.members().get(1);
        busy.acquire();

        EndpointState state = picked(balancer.pick(avoiding(avoided, 42)));
        assertThat(state).isSameAs(avoided);
        state.release();
        busy.release();

        balancer.setEndpoints(TestEndpoints.equal(1));
        EndpointState only = balancer.members().get(0);
        assertThat(picked(balancer.pick(avoiding(only, 42)))).isSameAs(only);
    }

    // ---- state across updates ----

    @Test
    void keepsEndpointStateForAddressesThatStay() {
        Balancer balancer = balancer(Policies.ROUND_ROBIN).build();
        List<Endpoint> endpoints = TestEndpoints.equal(3);
        balancer.setEndpoints(endpoints);
        EndpointState first = balancer.registry().get(endpoints.get(0).address());
        first.acquire();
        first.observeLatency(3_000_000);

        balancer.setEndpoints(List.of(endpoints.get(0).withWeight(4), endpoints.get(2), Endpoint.parse("10.9.9.9:80")));
        balancer.setPolicy(policy(Policies.LEAST_CONNECTIONS));

        EndpointState after = balancer.registry().get(endpoints.get(0).address());
        assertThat(after).isSameAs(first);
        assertThat(after.active()).isEqualTo(1);
        assertThat(after.latencyEwmaNanos(ticker.nanos())).isPositive();
        assertThat(after.endpoint().weight()).isEqualTo(4);
        assertThat(balancer.registry().get(endpoints.get(1).address())).isNull();
        assertThat(balancer.policy().id()).isEqualTo(Policies.LEAST_CONNECTIONS);
        first.release();
        assertThat(balancer.registry().totalActive()).isZero();
    }

    // ---- slow start ----

    @Test
    void firstMembersStartAtFullWeight() {
        Balancer balancer = balancer(Policies.WEIGHTED_ROUND_ROBIN).slowStart(Duration.ofSeconds(10)).build();
        balancer.setEndpoints(TestEndpoints.withWeights(1, 2, 3));

        assertThat(weights(balancer)).containsExactly(1, 2, 3);
        assertThat(scheduler.pending()).isZero();
    }

    @Test
    void firstMembersMayComeInMoreThanOneStepAndOnlyLaterOnesRamp() {
        Balancer balancer = balancer(Policies.WEIGHTED_ROUND_ROBIN).slowStart(Duration.ofSeconds(10)).build();
        List<Endpoint> endpoints = TestEndpoints.withWeights(1, 2, 3, 4);
        balancer.setFirstMembers(endpoints.subList(0, 1)); // the configured ones
        scheduler.advance(Duration.ofSeconds(1));
        balancer.setFirstMembers(endpoints.subList(0, 3)); // what discovery lists first

        assertThat(weights(balancer)).containsExactly(1, 2, 3);
        assertThat(scheduler.pending()).isZero();

        balancer.setEndpoints(endpoints); // after the start
        assertThat(weights(balancer)).containsExactly(100, 200, 300, 40);
    }

    /**
     * A joining endpoint's effective weight is {@code weight x max(10%, elapsed / window)}, on a scale
     * of 100 per unit of weight while anything ramps, refreshed every window / 20 by the scheduler;
     * weighted-round-robin then gives it exactly that share of each cycle.
     */
    @Test
    void rampsAJoiningEndpointLinearlyOverTheWindow() {
        Balancer balancer = balancer(Policies.WEIGHTED_ROUND_ROBIN).slowStart(Duration.ofSeconds(10)).build();
        List<Endpoint> endpoints = TestEndpoints.withWeights(2, 2, 2, 2);
        balancer.setEndpoints(endpoints.subList(0, 3));
        balancer.setEndpoints(endpoints);
        EndpointState joined = balancer.members().get(3);

        assertThat(weights(balancer)).containsExactly(200, 200, 200, 20); // the 10% floor
        for (int step = 1; step <= 19; step++) {
            scheduler.advance(Duration.ofMillis(500));
            int expected = Math.max(20, Math.round(200 * step * 500 / 10_000f));
            assertThat(weights(balancer)).as("after %d ms", step * 500).containsExactly(200, 200, 200, expected);
            assertThat(shareOf(balancer, joined)).isEqualTo((double) expected / (600 + expected));
        }
        scheduler.advance(Duration.ofMillis(500));
        assertThat(weights(balancer)).containsExactly(2, 2, 2, 2);
        assertThat(scheduler.pending()).isZero(); // nothing ramps: no more refreshes
    }

    @Test
    void rampsARecoveringEndpointAgain() {
        Balancer balancer = balancer(Policies.WEIGHTED_ROUND_ROBIN).slowStart(Duration.ofSeconds(10)).build();
        balancer.setEndpoints(TestEndpoints.withWeights(1, 1, 1));
        EndpointState recovering = balancer.members().get(1);
        recovering.setHealth(Health.UNHEALTHY);
        balancer.refresh();
        assertThat(balancer.endpoints().indexOf(recovering)).isNegative();
        ticker.advance(Duration.ofMinutes(1));

        recovering.setHealth(Health.HEALTHY);
        balancer.refresh();
        assertThat(weights(balancer)).containsExactly(100, 10, 100);

        scheduler.advance(Duration.ofSeconds(5));
        assertThat(weights(balancer)).containsExactly(100, 50, 100);
        scheduler.advance(Duration.ofSeconds(5));
        assertThat(weights(balancer)).containsExactly(1, 1, 1);
    }

    /**
     * The ramp scales every weight by its resolution; the ring's points count configured weight, so
     * the others keep their points and keys only ever move to the endpoint ramping up.
     */
    @Test
    void aRingHashEndpointRampingUpTakesOnlyItsOwnKeysAndMovesNoOneElses() {
        Balancer balancer = balancer(Policies.RING_HASH).slowStart(Duration.ofSeconds(10)).build();
        List<Endpoint> endpoints = TestEndpoints.equal(10);
        balancer.setEndpoints(endpoints.subList(0, 9));
        String[] before = owners(balancer, 10_000);
        balancer.setEndpoints(endpoints);
        String joined = endpoints.get(9).address();

        for (int step = 0; step <= 20; step++) {
            String[] now = owners(balancer, 10_000);
            int moved = 0;
            for (int k = 0; k < now.length; k++) {
                if (!now[k].equals(before[k])) {
                    moved++;
                    assertThat(now[k]).as("step %d, key %d", step, k).isEqualTo(joined);
                }
            }
            assertThat(moved).as("step %d", step).isLessThanOrEqualTo(1_500); // its share at full weight: ~1,000
            scheduler.advance(Duration.ofMillis(500));
        }
        assertThat(weights(balancer)).containsOnly(1);
    }

    private static String[] owners(Balancer balancer, int keys) {
        String[] owners = new String[keys];
        for (int k = 0; k < keys; k++) {
            EndpointState state = picked(balancer.pick(PickContext.ofHash(HashKeys.hash("session-" + k))));
            state.release();
            owners[k] = state.address();
        }
        return owners;
    }

    @Test
    void slowStartNeedsAScheduler() {
        assertThatThrownBy(() -> Balancer.builder(Policies.roundRobin()).slowStart(Duration.ofSeconds(1)).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("scheduler");
    }

    private static List<Integer> weights(Balancer balancer) {
        EndpointSet set = balancer.endpoints();
        List<Integer> weights = new ArrayList<>();
        for (int i = 0; i < set.size(); i++) {
            weights.add(set.weight(i));
        }
        return weights;
    }

    /** The share of one whole weighted-round-robin cycle (total effective weight picks) that goes to state. */
    private static double shareOf(Balancer balancer, EndpointState state) {
        long total = balancer.endpoints().totalWeight();
        int count = 0;
        for (long k = 0; k < total; k++) {
            EndpointState picked = picked(balancer.pick(PickContext.NONE));
            picked.release();
            count += picked == state ? 1 : 0;
        }
        return (double) count / total;
    }
}
