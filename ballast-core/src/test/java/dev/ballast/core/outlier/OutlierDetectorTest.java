package dev.ballast.core.outlier;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.health.RecordingLogger;
import dev.ballast.core.pick.Balancer;
import dev.ballast.core.pick.Policies;
import dev.ballast.core.state.EndpointState;
import dev.ballast.core.testing.FakeScheduler;
import dev.ballast.core.testing.FakeTicker;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class OutlierDetectorTest {

    private static final Duration BASE = Duration.ofSeconds(30);

    private final FakeTicker ticker = new FakeTicker();
    private final FakeScheduler scheduler = new FakeScheduler(ticker);
    private final Balancer balancer = Balancer.builder(Policies.roundRobin())
            .ticker(ticker).scheduler(scheduler).panicThreshold(0).build();
    private final RecordingLogger log = new RecordingLogger();
    private final Events events = new Events();

    private OutlierDetector detector(int endpoints, OutlierDetection settings) {
        List<Endpoint> list = new ArrayList<>();
        for (int i = 1; i <= endpoints; i++) {
            list.add(Endpoint.of("10.0.0." + i, 80));
        }
        balancer.setEndpoints(list);
        return OutlierDetector.builder(balancer, settings)
                .scheduler(scheduler).listener(events).name("api").logger(log).build();
    }

    private EndpointState endpoint(int i) {
        return balancer.registry().get("10.0.0." + i + ":80");
    }

    private boolean inRotation(EndpointState state) {
        return balancer.endpoints().indexOf(state) >= 0;
    }

    private void fail(OutlierDetector detector, EndpointState state, int times) {
        for (int i = 0; i < times; i++) {
            detector.record(state, Outcome.SERVER_ERROR);
        }
        scheduler.advance(Duration.ZERO); // the control path runs what the data path handed over
    }

    private long ejectedForNanos(EndpointState state) {
        return state.ejectedUntilNanos() - ticker.nanos();
    }

    @Test
    void ejectsAfterExactlyTheConfiguredFailuresInARow() {
        OutlierDetector detector = detector(4, OutlierDetection.of(5, BASE, 50));
        EndpointState a = endpoint(1);

        fail(detector, a, 4);
        assertThat(a.isEjected(ticker.nanos())).isFalse();
        assertThat(inRotation(a)).isTrue();

        fail(detector, a, 1);
        assertThat(a.isEjected(ticker.nanos())).isTrue();
        assertThat(inRotation(a)).isFalse();
        assertThat(balancer.endpoints().size()).isEqualTo(3);
        assertThat(detector.ejections()).isEqualTo(1);
        assertThat(detector.ejectedNow()).isEqualTo(1);
        assertThat(events.ejections).singleElement().satisfies(e -> {
            assertThat(e.endpoint()).isSameAs(a);
            assertThat(e.ordinal()).isEqualTo(1);
            assertThat(e.durationNanos()).isEqualTo(BASE.toNanos());
            assertThat(e.failuresInARow()).isEqualTo(5);
            assertThat(e.lastFailure()).isEqualTo(Outcome.SERVER_ERROR);
        });
    }

    @Test
    void aSuccessStartsTheRunOver() {
        OutlierDetector detector = detector(4, OutlierDetection.of(5, BASE, 50));
        EndpointState a = endpoint(1);

        fail(detector, a, 4);
        detector.record(a, Outcome.SUCCESS);
        fail(detector, a, 4);
        assertThat(a.isEjected(ticker.nanos())).isFalse();

        fail(detector, a, 1);
        assertThat(a.isEjected(ticker.nanos())).isTrue();
    }

    @Test
    void everyFailureKindCountsTowardsTheRun() {
        OutlierDetector detector = detector(4, OutlierDetection.of(4, BASE, 50));
        EndpointState a = endpoint(1);

        detector.record(a, Outcome.CONNECT_FAILURE);
        detector.record(a, Outcome.SERVER_ERROR);
        detector.record(a, Outcome.TIMEOUT);
        detector.record(a, Outcome.RESET);
        scheduler.advance(Duration.ZERO);

        assertThat(a.isEjected(ticker.nanos())).isTrue();
        assertThat(events.ejections.get(0).lastFailure()).isEqualTo(Outcome.RESET);
        assertThat(a.requests()).isEqualTo(4);
        assertThat(a.failures()).isEqualTo(4);
    }

    @Test
    void readmitsAtExpiryThroughTheBalancer() {
        OutlierDetector detector = detector(4, OutlierDetection.of(5, BASE, 50));
        EndpointState a = endpoint(1);
        fail(detector, a, 5);

        scheduler.advance(BASE.minusNanos(1));
        assertThat(inRotation(a)).isFalse();

        scheduler.advance(Duration.ofNanos(1));
        assertThat(inRotation(a)).isTrue();
        assertThat(a.isEjected(ticker.nanos())).isFalse();
        assertThat(detector.ejectedNow()).isZero();
        assertThat(events.readmitted).containsExactly(a);
    }

    @Test
    void theBalancerRefreshesByItselfWhenAnEjectionExpires() {
        // The contract the detector builds on: an ejection set on the state ends on the balancer's own timer.
        balancer.setEndpoints(List.of(Endpoint.of("10.0.0.1", 80), Endpoint.of("10.0.0.2", 80)));
        EndpointState a = endpoint(1);
        a.eject(ticker.nanos() + BASE.toNanos());
        balancer.refresh();
        assertThat(inRotation(a)).isFalse();

        scheduler.advance(BASE);

        assertThat(inRotation(a)).isTrue();
    }

    @Test
    void ejectionTimeDoublesWhenEjectedAgain() {
        OutlierDetector detector = detector(4, OutlierDetection.of(5, BASE, 50));
        EndpointState a = endpoint(1);

        fail(detector, a, 5);
        assertThat(ejectedForNanos(a)).isEqualTo(BASE.toNanos());
        scheduler.advance(BASE);

        fail(detector, a, 5);
        assertThat(ejectedForNanos(a)).isEqualTo(BASE.multipliedBy(2).toNanos());
        scheduler.advance(BASE.multipliedBy(2));

        fail(detector, a, 5);
        assertThat(ejectedForNanos(a)).isEqualTo(BASE.multipliedBy(4).toNanos());
        assertThat(events.ejections).extracting(Ejection::ordinal).containsExactly(1, 2, 3);
    }

    @Test
    void ejectionTimeIsCappedAtTheMaximum() {
        OutlierDetector detector = detector(4,
                OutlierDetection.of(5, BASE, 50).withMaxEjectionTime(Duration.ofSeconds(45)));
        EndpointState a = endpoint(1);

        fail(detector, a, 5);
        scheduler.advance(BASE);
        fail(detector, a, 5);

        assertThat(ejectedForNanos(a)).isEqualTo(Duration.ofSeconds(45).toNanos());
    }

    @Test
    void theMultiplierDecaysAfterACleanPeriod() {
        OutlierDetector detector = detector(4,
                OutlierDetection.of(5, BASE, 50).withDecayInterval(Duration.ofSeconds(10)));
        EndpointState a = endpoint(1);
        fail(detector, a, 5);
        scheduler.advance(BASE);
        fail(detector, a, 5);                         // again at once: #2, 60 s
        scheduler.advance(BASE.multipliedBy(2));

        scheduler.advance(Duration.ofSeconds(10));    // one clean interval: 2 -> 1
        fail(detector, a, 5);
        assertThat(ejectedForNanos(a)).isEqualTo(BASE.multipliedBy(2).toNanos());
        scheduler.advance(BASE.multipliedBy(2));

        scheduler.advance(Duration.ofSeconds(25));    // two clean intervals: 2 -> 0
        fail(detector, a, 5);
        assertThat(ejectedForNanos(a)).isEqualTo(BASE.toNanos());
        assertThat(events.ejections).extracting(Ejection::ordinal).containsExactly(1, 2, 2, 1);
    }

    @Test
    void neverEjectsMoreThanMaxEjectionPercent() {
        OutlierDetector detector = detector(4, OutlierDetection.of(5, BASE, 50));
        EndpointState a = endpoint(1);
        EndpointState b = endpoint(2);
        EndpointState c = endpoint(3);

        fail(detector, a, 5);
        fail(detector, b, 5);
        fail(detector, c, 5);

        assertThat(a.isEjected(ticker.nanos())).isTrue();
        assertThat(b.isEjected(ticker.nanos())).isTrue();
        assertThat(c.isEjected(ticker.nanos())).isFalse();
        assertThat(inRotation(c)).isTrue();
        assertThat(detector.ejectedNow()).isEqualTo(2);
        assertThat(detector.ejectionsRefused()).isEqualTo(1);
        assertThat(events.refused).containsExactly("10.0.0.3:80 2/2");

        scheduler.advance(BASE); // a and b are back: c may go now
        fail(detector, c, 5);
        assertThat(c.isEjected(ticker.nanos())).isTrue();
    }

    @Test
    void aDrainedEndpointMakesNoRoomForAnotherEjection() {
        OutlierDetector detector = detector(4, OutlierDetection.of(5, BASE, 50));
        endpoint(4).setDraining(true);
        balancer.refresh(); // 3 endpoints serve: half of them is one ejection

        fail(detector, endpoint(1), 5);
        fail(detector, endpoint(2), 5);

        assertThat(endpoint(1).isEjected(ticker.nanos())).isTrue();
        assertThat(endpoint(2).isEjected(ticker.nanos())).as("would leave 1 of 3 to serve").isFalse();
        assertThat(events.refused).containsExactly("10.0.0.2:80 1/1");
    }

    @Test
    void ejectsOneEvenWhenThePercentageRoundsDownToNone() {
        OutlierDetector detector = detector(3, OutlierDetection.of(5, BASE, 10));

        fail(detector, endpoint(1), 5);
        fail(detector, endpoint(2), 5);

        assertThat(endpoint(1).isEjected(ticker.nanos())).isTrue();
        assertThat(endpoint(2).isEjected(ticker.nanos())).isFalse();
    }

    @Test
    void zeroPercentCountsButNeverEjects() {
        OutlierDetector detector = detector(3, OutlierDetection.of(5, BASE, 0));

        fail(detector, endpoint(1), 5);

        assertThat(endpoint(1).isEjected(ticker.nanos())).isFalse();
        assertThat(detector.ejectionsRefused()).isEqualTo(1);
    }

    @Test
    void failuresWhileEjectedNeitherExtendNorCarryOver() {
        OutlierDetector detector = detector(4, OutlierDetection.of(5, BASE, 50));
        EndpointState a = endpoint(1);
        fail(detector, a, 5);
        long until = a.ejectedUntilNanos();

        fail(detector, a, 7); // requests that were in flight when it was ejected
        assertThat(a.ejectedUntilNanos()).isEqualTo(until);
        assertThat(detector.ejections()).isEqualTo(1);

        fail(detector, a, 3); // a run that started while it was out...
        scheduler.advance(BASE);
        fail(detector, a, 2); // ...does not count after re-admission
        assertThat(a.isEjected(ticker.nanos())).isFalse();
    }

    @Test
    void ejectsOnceWhenManyThreadsReportTheSameRun() throws Exception {
        OutlierDetector detector = detector(4, OutlierDetection.of(5, BASE, 50));
        EndpointState a = endpoint(1);
        int threads = 8;
        int perThread = 1_000;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        detector.record(a, Outcome.TIMEOUT);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            workers.add(worker);
            worker.start();
        }
        start.countDown();
        for (Thread worker : workers) {
            worker.join(TimeUnit.SECONDS.toMillis(30));
        }
        assertThat(scheduler.pending()).isEqualTo(1); // one hand-over for one run

        scheduler.advance(Duration.ZERO);

        assertThat(detector.ejections()).isEqualTo(1);
        assertThat(a.failures()).isEqualTo(threads * perThread);
    }

    @Test
    void forgetsEndpointsThatLeftAndCancelsTheirReadmission() {
        OutlierDetector detector = detector(4, OutlierDetection.of(5, BASE, 50));
        EndpointState a = endpoint(1);
        EndpointState b = endpoint(2);
        fail(detector, b, 5);
        int pendingWithReadmission = scheduler.pending();

        balancer.setEndpoints(List.of(Endpoint.of("10.0.0.3", 80), Endpoint.of("10.0.0.4", 80)));
        detector.sync();
        assertThat(scheduler.pending()).isLessThan(pendingWithReadmission);

        fail(detector, a, 10);
        assertThat(a.failures()).isEqualTo(10); // still counted on the state
        assertThat(detector.ejections()).isEqualTo(1);
        assertThat(scheduler.pending()).isLessThan(pendingWithReadmission);

        scheduler.advance(BASE);
        assertThat(events.readmitted).isEmpty();
    }

    @Test
    void closingReadmitsWhatItEjectedAndStopsJudging() {
        OutlierDetector detector = detector(4, OutlierDetection.of(5, BASE, 50));
        EndpointState a = endpoint(1);
        fail(detector, a, 5);

        detector.close();

        assertThat(inRotation(a)).isTrue();
        assertThat(a.isEjected(ticker.nanos())).isFalse();
        fail(detector, endpoint(2), 5);
        assertThat(endpoint(2).isEjected(ticker.nanos())).isFalse();
        detector.close();
    }

    @Test
    void logsEachEjectionAndReadmissionOnce() {
        OutlierDetector detector = detector(4, OutlierDetection.of(5, BASE, 50));
        EndpointState a = endpoint(1);

        fail(detector, a, 5);
        fail(detector, a, 5);
        scheduler.advance(BASE);

        assertThat(log.matching(Level.WARN, "api", "ejecting 10.0.0.1:80 for 30000 ms", "last: server error"))
                .hasSize(1);
        assertThat(log.matching(Level.INFO, "api", "re-admitting 10.0.0.1:80")).hasSize(1);
        assertThat(log.matching(Level.WARN)).hasSize(1);
    }

    @Test
    void aFailingListenerDoesNotStopDetection() {
        balancer.setEndpoints(List.of(Endpoint.of("10.0.0.1", 80), Endpoint.of("10.0.0.2", 80)));
        OutlierDetector detector = OutlierDetector.builder(balancer, OutlierDetection.of(2, BASE, 50))
                .scheduler(scheduler).logger(log)
                .listener(new OutlierListener() {
                    @Override
                    public void ejected(Ejection ejection) {
                        throw new IllegalStateException("metrics down");
                    }
                }).build();

        fail(detector, endpoint(1), 2);
        scheduler.advance(BASE);

        assertThat(inRotation(endpoint(1))).isTrue();
        assertThat(detector.ejections()).isEqualTo(1);
        assertThat(log.matching(Level.WARN, "outlier listener failed")).hasSize(1);
    }

    @Test
    void theDisabledDetectorCountsOutcomesButNeverEjects() {
        balancer.setEndpoints(List.of(Endpoint.of("10.0.0.1", 80)));
        OutlierDetector disabled = OutlierDetector.disabled();
        EndpointState a = endpoint(1);

        for (int i = 0; i < 100; i++) {
            disabled.record(a, Outcome.CONNECT_FAILURE);
        }
        disabled.record(a, Outcome.SUCCESS);
        scheduler.advance(Duration.ZERO);

        assertThat(a.requests()).isEqualTo(101);
        assertThat(a.failures()).isEqualTo(100);
        assertThat(a.isEjected(ticker.nanos())).isFalse();
        assertThat(disabled.ejections()).isZero();
    }

    /** Records what the detector told its listener. */
    private static final class Events implements OutlierListener {

        final List<Ejection> ejections = new CopyOnWriteArrayList<>();
        final List<EndpointState> readmitted = new CopyOnWriteArrayList<>();
        final List<String> refused = new CopyOnWriteArrayList<>();

        @Override
        public void ejected(Ejection ejection) {
            ejections.add(ejection);
        }

        @Override
        public void readmitted(EndpointState endpoint) {
            readmitted.add(endpoint);
        }

        @Override
        public void ejectionRefused(EndpointState endpoint, int ejected, int maxEjected) {
            refused.add(endpoint.address() + " " + ejected + "/" + maxEjected);
        }
    }
}
