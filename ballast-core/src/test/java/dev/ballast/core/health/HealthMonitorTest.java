package dev.ballast.core.health;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.pick.Balancer;
import dev.ballast.core.pick.Policies;
import dev.ballast.core.pick.Rng;
import dev.ballast.core.state.EndpointState;
import dev.ballast.core.state.Health;
import dev.ballast.core.testing.FakeScheduler;
import dev.ballast.core.testing.FakeTicker;
import dev.ballast.core.time.Scheduler;
import dev.ballast.core.time.Ticker;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

class HealthMonitorTest {

    private static final Duration INTERVAL = Duration.ofSeconds(2);
    private static final HealthCheckSettings SETTINGS =
            new HealthCheckSettings(INTERVAL, Duration.ofSeconds(1), 3, 2, Duration.ZERO, 0.0);

    private final FakeTicker ticker = new FakeTicker();
    private final FakeScheduler scheduler = new FakeScheduler(ticker);
    private final Balancer balancer = Balancer.builder(Policies.roundRobin())
            .ticker(ticker).scheduler(scheduler).panicThreshold(0).build();
    private final ScriptedChecker checker = new ScriptedChecker();
    private final RecordingLogger log = new RecordingLogger();
    private final Events events = new Events();
    private final long start = ticker.nanos();

    private HealthMonitor monitor(int endpoints, HealthCheckSettings settings) {
        balancer.setEndpoints(endpoints(1, endpoints));
        HealthMonitor monitor = HealthMonitor.builder(balancer, checker, settings)
                .scheduler(scheduler).rng(Rng.seeded(11)).listener(events).logger(log).name("api").build();
        monitor.sync();
        return monitor;
    }

    private static List<Endpoint> endpoints(int from, int to) {
        List<Endpoint> list = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            list.add(Endpoint.of("10.0.0." + i, 80));
        }
        return list;
    }

    private EndpointState endpoint(int i) {
        return balancer.registry().get("10.0.0." + i + ":80");
    }

    private boolean inRotation(EndpointState state) {
        return balancer.endpoints().indexOf(state) >= 0;
    }

    @Test
    void marksAnEndpointUnhealthyOnExactlyTheThresholdthFailedCheck() {
        monitor(3, SETTINGS);
        checker.answer("10.0.0.1:80", CheckOutcome.failed("status 503"));
        EndpointState a = endpoint(1);

        scheduler.advance(Duration.ZERO);             // check 1 at t=0
        scheduler.advance(INTERVAL);                  // check 2 at t=2s
        assertThat(checker.calls("10.0.0.1:80")).hasSize(2);
        assertThat(a.health()).isEqualTo(Health.HEALTHY);
        assertThat(inRotation(a)).isTrue();

        scheduler.advance(INTERVAL);                  // check 3 at t=4s
        assertThat(a.health()).isEqualTo(Health.UNHEALTHY);
        assertThat(inRotation(a)).isFalse();
        assertThat(balancer.endpoints().size()).isEqualTo(2);
    }

    @Test
    void marksItHealthyAgainOnExactlyTheThresholdthPassedCheck() {
        HealthMonitor monitor = monitor(3, SETTINGS);
        checker.answer("10.0.0.1:80", CheckOutcome.failed("status 503"));
        EndpointState a = endpoint(1);
        scheduler.advance(INTERVAL.multipliedBy(2));  // checks at 0, 2, 4 s: unhealthy
        assertThat(a.health()).isEqualTo(Health.UNHEALTHY);

        checker.answer("10.0.0.1:80", CheckOutcome.passed());
        scheduler.advance(INTERVAL);                  // first pass
        assertThat(a.health()).isEqualTo(Health.UNHEALTHY);
        assertThat(monitor.statuses().get("10.0.0.1:80")).isEqualTo(new HealthStatus(Health.UNHEALTHY, 1, 0));
        assertThat(inRotation(a)).isFalse();

        scheduler.advance(INTERVAL);                  // second pass
        assertThat(a.health()).isEqualTo(Health.HEALTHY);
        assertThat(inRotation(a)).isTrue();
    }

    @Test
    void aCheckWithoutAnAnswerWithinTheTimeoutFailsAndIsCancelled() {
        monitor(1, SETTINGS.withThresholds(1, 1));
        checker.hang("10.0.0.1:80");
        EndpointState a = endpoint(1);

        scheduler.advance(Duration.ZERO);
        scheduler.advance(Duration.ofMillis(999));
        assertThat(events.checks).isEmpty();
        assertThat(a.health()).isEqualTo(Health.HEALTHY);

        scheduler.advance(Duration.ofMillis(1));
        assertThat(a.health()).isEqualTo(Health.UNHEALTHY);
        assertThat(events.checks).containsExactly("10.0.0.1:80 failed: no answer within 1000 ms");
        assertThat(checker.hanging.get("10.0.0.1:80")).isCancelled();
        assertThat(events.transitions).singleElement()
                .satisfies(t -> assertThat(t.reason()).isEqualTo("failed 1 check in a row, last: no answer within 1000 ms"));
    }

    @Test
    void theNextCheckStartsAnIntervalAfterTheLastOneEnded() {
        monitor(1, SETTINGS);
        checker.respondAfter("10.0.0.1:80", Duration.ofMillis(500));

        scheduler.advance(Duration.ofSeconds(6));

        assertThat(checker.calls("10.0.0.1:80")).containsExactly(0L, 2_500L, 5_000L);
    }

    @Test
    void aCheckerThatThrowsOrFailsItsFutureCountsAsAFailure() {
        monitor(2, SETTINGS.withThresholds(1, 1));
        checker.behave("10.0.0.1:80", e -> {
            throw new IllegalStateException("no route");
        });
        checker.behave("10.0.0.2:80", e -> CompletableFuture.failedFuture(new IOException("connection refused")));

        scheduler.advance(Duration.ZERO);

        assertThat(endpoint(1).health()).isEqualTo(Health.UNHEALTHY);
        assertThat(endpoint(2).health()).isEqualTo(Health.UNHEALTHY);
        assertThat(events.checks).containsExactlyInAnyOrder(
                "10.0.0.1:80 failed: IllegalStateException: no route",
                "10.0.0.2:80 failed: IOException: connection refused");
    }

    @Test
    void eachTransitionIsLoggedAndNotifiedExactlyOnce() {
        monitor(2, SETTINGS);
        checker.answer("10.0.0.1:80", CheckOutcome.failed("status 503"));
        scheduler.advance(INTERVAL.multipliedBy(4));  // 5 failed checks: one transition
        checker.answer("10.0.0.1:80", CheckOutcome.passed());
        scheduler.advance(INTERVAL.multipliedBy(4));  // 4 passed checks: one transition

        assertThat(events.transitions).extracting(t -> t.from() + "->" + t.to())
                .containsExactly("HEALTHY->UNHEALTHY", "UNHEALTHY->HEALTHY");
        assertThat(events.transitions.get(0).endpoint()).isSameAs(endpoint(1));
        assertThat(events.transitions.get(0).atNanos()).isEqualTo(start + INTERVAL.multipliedBy(2).toNanos());
        assertThat(log.matching(Level.WARN)).extracting(RecordingLogger.Event::message).containsExactly(
                "api: endpoint 10.0.0.1:80 healthy -> unhealthy (failed 3 checks in a row, last: status 503)");
        assertThat(log.matching(Level.INFO)).extracting(RecordingLogger.Event::message).containsExactly(
                "api: endpoint 10.0.0.1:80 unhealthy -> healthy (passed 2 checks in a row)");
        assertThat(events.checks.stream().filter(c -> c.startsWith("10.0.0.1:80"))).hasSize(9);
    }

    @Test
    void jitterSpreadsChecksOverTheInterval() {
        monitor(50, SETTINGS.withJitter(0.2));

        scheduler.advance(Duration.ofSeconds(10));

        List<Long> firsts = new ArrayList<>();
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i <= 50; i++) {
            List<Long> calls = checker.calls("10.0.0." + i + ":80");
            firsts.add(calls.get(0));
            for (int c = 1; c < calls.size(); c++) {
                gaps.add(calls.get(c) - calls.get(c - 1));
            }
        }
        assertThat(firsts).allSatisfy(t -> assertThat(t).isBetween(0L, 400L));
        assertThat(firsts.stream().distinct().count()).isGreaterThan(40);
        assertThat(gaps).hasSizeGreaterThan(150)
                .allSatisfy(gap -> assertThat(gap).isBetween(1_600L, 2_400L));
        assertThat(gaps.stream().distinct().count()).isGreaterThan(100);
        assertThat(gaps.stream().mapToLong(Long::longValue).average().orElseThrow()).isBetween(1_900.0, 2_100.0);
    }

    @Test
    void withoutJitterChecksComeInLockstep() {
        monitor(50, SETTINGS);

        scheduler.advance(Duration.ofSeconds(4));

        for (int i = 1; i <= 50; i++) {
            assertThat(checker.calls("10.0.0." + i + ":80")).containsExactly(0L, 2_000L, 4_000L);
        }
    }

    @Test
    void theInitialDelayPostponesTheFirstCheck() {
        monitor(1, SETTINGS.withInitialDelay(Duration.ofSeconds(5)));

        scheduler.advance(Duration.ofMillis(4_999));
        assertThat(checker.calls("10.0.0.1:80")).isEmpty();

        scheduler.advance(Duration.ofMillis(1));
        assertThat(checker.calls("10.0.0.1:80")).containsExactly(5_000L);
    }

    @Test
    void removedEndpointsAreNoLongerCheckedAndTheirCheckInFlightIsCancelled() {
        HealthMonitor monitor = monitor(3, SETTINGS);
        checker.hang("10.0.0.1:80");
        scheduler.advance(Duration.ZERO);
        CompletableFuture<CheckOutcome> inFlight = checker.hanging.get("10.0.0.1:80");

        balancer.setEndpoints(endpoints(3, 3));
        monitor.sync();
        scheduler.advance(Duration.ofSeconds(20));

        assertThat(inFlight).isCancelled();
        assertThat(checker.calls("10.0.0.1:80")).hasSize(1);
        assertThat(checker.calls("10.0.0.2:80")).hasSize(1);
        assertThat(checker.calls("10.0.0.3:80")).hasSize(11);
        assertThat(monitor.probed()).isEqualTo(1);
        assertThat(monitor.statuses()).containsOnlyKeys("10.0.0.3:80");
        assertThat(events.checks).noneMatch(c -> c.startsWith("10.0.0.1:80"));
    }

    @Test
    void anEndpointRemovedBeforeTheNextSyncStopsAtItsNextCheck() {
        monitor(2, SETTINGS);
        scheduler.advance(Duration.ZERO);

        balancer.setEndpoints(endpoints(2, 2));      // no sync() yet
        scheduler.advance(Duration.ofSeconds(10));

        assertThat(checker.calls("10.0.0.1:80")).hasSize(1);
        assertThat(checker.calls("10.0.0.2:80")).hasSize(6);
    }

    @Test
    void newEndpointsStartBeingChecked() {
        HealthMonitor monitor = monitor(1, SETTINGS);
        scheduler.advance(Duration.ofSeconds(1));

        balancer.setEndpoints(endpoints(1, 2));
        monitor.sync();
        scheduler.advance(Duration.ofSeconds(3));

        assertThat(checker.calls("10.0.0.1:80")).containsExactly(0L, 2_000L, 4_000L);
        assertThat(checker.calls("10.0.0.2:80")).containsExactly(1_000L, 3_000L);
    }

    @Test
    void closingStopsEveryProbeAndCancelsChecksInFlight() {
        HealthMonitor monitor = monitor(3, SETTINGS);
        checker.hang("10.0.0.2:80");
        scheduler.advance(Duration.ZERO);

        monitor.close();
        monitor.sync();
        scheduler.advance(Duration.ofSeconds(10));

        assertThat(scheduler.pending()).isZero();
        assertThat(checker.hanging.get("10.0.0.2:80")).isCancelled();
        assertThat(checker.calls("10.0.0.1:80")).hasSize(1);
        assertThat(monitor.probed()).isZero();
    }

    @Test
    void aCheckStartedAsTheMonitorClosesIsCancelledNotLeftOpen() {
        AtomicReference<HealthMonitor> closing = new AtomicReference<>();
        CompletableFuture<CheckOutcome> probe = new CompletableFuture<>();
        checker.behave("10.0.0.1:80", e -> {
            closing.get().close(); // the close lands while the check is being started
            return probe;
        });
        closing.set(monitor(1, SETTINGS));

        scheduler.advance(Duration.ZERO);

        assertThat(probe).as("the probe's connection is told to close").isCancelled();
        assertThat(scheduler.pending()).isZero();
    }

    @Test
    void resultsCompletedOnAnotherThreadAreAppliedOnTheScheduler() throws Exception {
        monitor(1, SETTINGS.withThresholds(1, 1));
        checker.hang("10.0.0.1:80");
        scheduler.advance(Duration.ZERO);

        Thread eventLoop = new Thread(() -> checker.hanging.get("10.0.0.1:80").complete(CheckOutcome.failed("status 500")));
        eventLoop.start();
        assertThat(eventLoop.join(Duration.ofSeconds(10))).as("the completing thread ended").isTrue();
        assertThat(endpoint(1).health()).isEqualTo(Health.HEALTHY); // not yet: handed to the scheduler

        scheduler.advance(Duration.ZERO);
        assertThat(endpoint(1).health()).isEqualTo(Health.UNHEALTHY);
        assertThat(events.checks).containsExactly("10.0.0.1:80 failed: status 500"); // the timeout did not count too
    }

    @Test
    void aCheckerThatThrowsAnErrorFailsThatCheckAndTheChecksGoOn() throws Exception {
        // A real executor, which keeps what a task throws in its future and tells no one: an Error that
        // escaped a check would end that endpoint's checks for good, silently.
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        try {
            AtomicInteger calls = new AtomicInteger();
            CountingEvents counted = new CountingEvents(4);
            HealthMonitor monitor = realMonitor(executor, endpoint -> {
                if (calls.getAndIncrement() == 0) {
                    throw new AssertionError("checker bug");
                }
                return CompletableFuture.completedFuture(CheckOutcome.passed());
            }, counted);

            assertThat(counted.enough.await(10, TimeUnit.SECONDS)).as("checks after the one that threw").isTrue();
            monitor.close();
            assertThat(counted.checks.subList(0, 4)).containsExactly("failed: AssertionError: checker bug",
                    "passed", "passed", "passed");
            assertThat(counted.transitions).startsWith("healthy -> unhealthy", "unhealthy -> healthy");
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void aListenerThatThrowsAnErrorIsLoggedAndTheChecksGoOn() throws Exception {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        try {
            CountingEvents counted = new CountingEvents(3) {
                private final AtomicInteger told = new AtomicInteger();

                @Override
                public void checked(EndpointState endpoint, CheckOutcome outcome, long latencyNanos) {
                    if (told.getAndIncrement() == 0) {
                        throw new AssertionError("listener bug");
                    }
                    super.checked(endpoint, outcome, latencyNanos);
                }
            };
            HealthMonitor monitor = realMonitor(executor,
                    endpoint -> CompletableFuture.completedFuture(CheckOutcome.passed()), counted);

            assertThat(counted.enough.await(10, TimeUnit.SECONDS)).as("checks after the listener threw").isTrue();
            monitor.close();
            assertThat(log.matching(Level.WARN, "api: health listener failed")).hasSize(1);
        } finally {
            executor.shutdownNow();
        }
    }

    private HealthMonitor realMonitor(ScheduledExecutorService executor, HealthChecker checks, HealthListener listener) {
        Scheduler real = Scheduler.of(executor);
        Balancer members = Balancer.builder(Policies.roundRobin()).ticker(Ticker.system()).scheduler(real)
                .panicThreshold(0).build();
        members.setEndpoints(endpoints(1, 1));
        HealthMonitor monitor = HealthMonitor.builder(members, checks,
                        new HealthCheckSettings(Duration.ofMillis(20), Duration.ofSeconds(5), 1, 1, Duration.ZERO, 0.0))
                .scheduler(real).rng(Rng.seeded(11)).listener(listener).logger(log).name("api").build();
        monitor.sync();
        return monitor;
    }

    /** Records outcomes and transitions, and says when {@code wanted} checks were told. */
    private static class CountingEvents implements HealthListener {

        final List<String> checks = new CopyOnWriteArrayList<>();
        final List<String> transitions = new CopyOnWriteArrayList<>();
        final CountDownLatch enough;

        CountingEvents(int wanted) {
            this.enough = new CountDownLatch(wanted);
        }

        @Override
        public void checked(EndpointState endpoint, CheckOutcome outcome, long latencyNanos) {
            checks.add(outcome instanceof CheckOutcome.Failed f ? "failed: " + f.reason() : "passed");
            enough.countDown();
        }

        @Override
        public void transitioned(HealthTransition transition) {
            transitions.add(transition.from().name().toLowerCase(java.util.Locale.ROOT) + " -> "
                    + transition.to().name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    /** A checker whose answer per address the test sets; records when each check started (ms since start). */
    private final class ScriptedChecker implements HealthChecker {

        private final Map<String, Function<Endpoint, CompletableFuture<CheckOutcome>>> behaviour = new ConcurrentHashMap<>();
        private final Map<String, List<Long>> calls = new ConcurrentHashMap<>();
        final Map<String, CompletableFuture<CheckOutcome>> hanging = new ConcurrentHashMap<>();

        @Override
        public CompletableFuture<CheckOutcome> check(Endpoint endpoint) {
            calls.computeIfAbsent(endpoint.address(), k -> new CopyOnWriteArrayList<>())
                    .add((ticker.nanos() - start) / 1_000_000);
            return behaviour.getOrDefault(endpoint.address(),
                    e -> CompletableFuture.completedFuture(CheckOutcome.passed())).apply(endpoint);
        }

        void behave(String address, Function<Endpoint, CompletableFuture<CheckOutcome>> answer) {
            behaviour.put(address, answer);
        }

        void answer(String address, CheckOutcome outcome) {
            behave(address, e -> CompletableFuture.completedFuture(outcome));
        }

        void hang(String address) {
            behave(address, e -> {
                CompletableFuture<CheckOutcome> future = new CompletableFuture<>();
                hanging.put(address, future);
                return future;
            });
        }

        void respondAfter(String address, Duration delay) {
            behave(address, e -> {
                CompletableFuture<CheckOutcome> future = new CompletableFuture<>();
                scheduler.schedule(() -> future.complete(CheckOutcome.passed()), delay.toNanos());
                return future;
            });
        }

        List<Long> calls(String address) {
            return calls.getOrDefault(address, List.of());
        }
    }

    /** Records what the monitor told its listener. */
    private static final class Events implements HealthListener {

        final List<String> checks = new CopyOnWriteArrayList<>();
        final List<HealthTransition> transitions = new CopyOnWriteArrayList<>();

        @Override
        public void checked(EndpointState endpoint, CheckOutcome outcome, long latencyNanos) {
            checks.add(endpoint.address() + (outcome instanceof CheckOutcome.Failed f ? " failed: " + f.reason() : " passed"));
        }

        @Override
        public void transitioned(HealthTransition transition) {
            transitions.add(transition);
        }
    }
}
