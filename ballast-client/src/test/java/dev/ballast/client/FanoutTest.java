package dev.ballast.client;

import dev.ballast.client.testing.Backend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.ballast.client.ClientRequest.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class FanoutTest {

    private final List<Backend> backends = new ArrayList<>();
    private BallastClient client;

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        backends.forEach(Backend::close);
    }

    private List<Backend> start(String prefix, int n) {
        List<Backend> started = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            started.add(Backend.start(prefix + i));
        }
        backends.addAll(started);
        return started;
    }

    private static String[] addresses(List<Backend> list) {
        return list.stream().map(Backend::address).toArray(String[]::new);
    }

    /** A client over two shards whose interceptor holds every call to the second until it is cancelled. */
    private BallastClient clientHoldingTheSecondOfTwoShards(CountDownLatch released) {
        List<Backend> shards = start("shard-", 2);
        return BallastClient.builder()
                .service(ServiceConfig.builder("shards").endpoints(addresses(shards)).build())
                .interceptor(chain -> {
                    if (chain.request().endpoint().filter(shards.get(1).address()::equals).isPresent()) {
                        // Waits as the docs show, woken by cancellation: a deadline alone cancels nothing.
                        chain.context().onCancel(released::countDown);
                        try {
                            released.await(30, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    return chain.proceed(chain.request());
                })
                .build();
    }

    @Test
    void theOverallTimeoutEndsTheWaitForACallHeldUpInAnInterceptor() {
        CountDownLatch released = new CountDownLatch(1);
        client = clientHoldingTheSecondOfTwoShards(released);
        Fanout fanout = Fanout.of(client).overallTimeout(Duration.ofMillis(300));

        FanoutResult result = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> fanout.callEveryEndpoint(request("shards")));

        assertThat(result.outcomes()).hasSize(2);
        assertThat(result.outcomes().get(0)).isInstanceOf(FanoutResult.Outcome.Success.class);
        assertThat(result.outcomes().get(1)).isInstanceOfSatisfying(FanoutResult.Outcome.Failure.class,
                failure -> assertThat(failure.errorType()).isEqualTo("DEADLINE_EXCEEDED"));
        assertThat(released.getCount()).as("the held call was cancelled as the fan-out ended").isZero();
    }

    @Test
    void thePerCallTimeoutAloneEndsTheWaitForACallHeldUpInAnInterceptor() {
        CountDownLatch released = new CountDownLatch(1);
        client = clientHoldingTheSecondOfTwoShards(released);
        Fanout fanout = Fanout.of(client).perCallTimeout(Duration.ofMillis(300)); // no overall timeout

        FanoutResult result = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> fanout.callEveryEndpoint(request("shards")));

        assertThat(result.outcomes().get(0)).isInstanceOf(FanoutResult.Outcome.Success.class);
        assertThat(result.outcomes().get(1)).isInstanceOfSatisfying(FanoutResult.Outcome.Failure.class,
                failure -> assertThat(failure.errorType()).isEqualTo("DEADLINE_EXCEEDED"));
        assertThat(released.getCount()).as("the held call was cancelled as the fan-out ended").isZero();
    }

    @Test
    void aPerCallTimeoutOfForeverBoundsNothing() {
        List<Backend> shards = start("shard-", 2);
        shards.forEach(backend -> backend.delay(Duration.ofMillis(500))); // longer than the wait's reporting grace
        client = BallastClient.builder().service(ServiceConfig.builder("shards").endpoints(addresses(shards)).build())
                .build();
        // As CallContext.withTimeout takes it: no deadline. Its nanoseconds do not fit a long.
        Fanout fanout = Fanout.of(client).perCallTimeout(ChronoUnit.FOREVER.getDuration());

        FanoutResult result = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> fanout.callEveryEndpoint(request("shards")));

        assertThat(result.outcomes()).hasSize(2).allSatisfy(outcome ->
                assertThat(outcome).isInstanceOf(FanoutResult.Outcome.Success.class));
    }

    @Test
    void aPerCallTimeoutOfTheLongestNanosecondsDoesNotWrapIntoADeadlinePassedAtOnce() {
        List<Backend> shards = start("shard-", 2);
        shards.forEach(backend -> backend.delay(Duration.ofMillis(500)));
        client = BallastClient.builder().service(ServiceConfig.builder("shards").endpoints(addresses(shards)).build())
                .build();
        Fanout fanout = Fanout.of(client).perCallTimeout(Duration.ofNanos(Long.MAX_VALUE)); // about 292 years

        FanoutResult result = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> fanout.callEveryEndpoint(request("shards")));

        assertThat(result.outcomes()).hasSize(2).allSatisfy(outcome ->
                assertThat(outcome).isInstanceOf(FanoutResult.Outcome.Success.class));
    }

    @Test
    void aSucceedWhenThatThrowsAfterTheDeadlinePassedIsStillThrown() {
        List<Backend> shards = start("shard-", 1);
        client = BallastClient.builder()
                .service(ServiceConfig.builder("shards").endpoints(addresses(shards)).build())
                .build();
        // The answer comes well within the deadline; the predicate then holds the fan-out's lock past
        // the deadline and its grace (1.25 s), and throws.
        Fanout fanout = Fanout.of(client).overallTimeout(Duration.ofSeconds(1))
                .succeedWhen(response -> {
                    try {
                        Thread.sleep(2_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    throw new IllegalStateException("predicate bug");
                });

        assertTimeoutPreemptively(Duration.ofSeconds(5), () ->
                assertThatThrownBy(() -> fanout.callEveryEndpoint(request("shards")))
                        .isInstanceOf(IllegalStateException.class).hasMessage("predicate bug"));
    }

    @Test
    void aSucceedWhenThatThrowsEndsTheFanoutWithItsExceptionInsteadOfHangingIt() {
        List<Backend> shards = start("shard-", 3);
        client = BallastClient.builder()
                .service(ServiceConfig.builder("shards").endpoints(addresses(shards)).build())
                .build();
        Fanout fanout = Fanout.of(client).overallTimeout(Duration.ofSeconds(2))
                .succeedWhen(response -> {
                    throw new IllegalStateException("predicate bug");
                });

        assertTimeoutPreemptively(Duration.ofSeconds(5), () ->
                assertThatThrownBy(() -> fanout.callEveryEndpoint(request("shards")))
                        .isInstanceOf(IllegalStateException.class).hasMessage("predicate bug"));
    }

    @Test
    void aSucceedWhenThatThrowsACheckedExceptionUndeclaredStillEndsTheFanout() {
        List<Backend> shards = start("shard-", 3);
        client = BallastClient.builder()
                .service(ServiceConfig.builder("shards").endpoints(addresses(shards)).build())
                .build();
        Fanout fanout = Fanout.of(client).overallTimeout(Duration.ofSeconds(2))
                .succeedWhen(response -> sneakyThrow(new java.io.IOException("checked, as Kotlin throws it")));

        assertTimeoutPreemptively(Duration.ofSeconds(5), () ->
                assertThatThrownBy(() -> fanout.callEveryEndpoint(request("shards")))
                        .isInstanceOf(IllegalStateException.class).hasMessage("fan-out failed")
                        .hasRootCauseMessage("checked, as Kotlin throws it"));
    }

    /** Throws {@code e} though it is checked and undeclared, as Kotlin or Lombok's @SneakyThrows do. */
    @SuppressWarnings("unchecked")
    static <E extends Throwable> boolean sneakyThrow(Throwable e) throws E {
        throw (E) e;
    }

    @Test
    void fiftyEndpointsOfWhichTenTimeOutGiveFortyResultsAndOneErrorLine() {
        List<Backend> shards = start("shard-", 50);
        for (int i = 0; i < 50; i += 5) {
            shards.get(i).delay(Duration.ofSeconds(10)); // abandoned when the test ends
        }
        client = BallastClient.builder()
                .service(ServiceConfig.builder("shards").endpoints(addresses(shards)).build())
                .build();

        long start = System.nanoTime();
        FanoutResult result = Fanout.of(client).perCallTimeout(Duration.ofSeconds(2))
                .callEveryEndpoint(request("shards").path("/search?q=ballast"));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertThat(result.responses()).hasSize(40).allSatisfy(r -> assertThat(r.status()).isEqualTo(200));
        assertThat(result.failureCount()).isEqualTo(10);
        assertThat(result.errors().lines()).singleElement().satisfies(line -> {
            assertThat(line.service()).isEqualTo("shards");
            assertThat(line.errorType()).isEqualTo("DEADLINE_EXCEEDED");
            assertThat(line.count()).isEqualTo(10);
            assertThat(line.first()).isBeforeOrEqualTo(line.last());
            assertThat(line.example()).contains("deadline passed");
        });
        assertThat(result.errors().toString()).hasLineCount(1).startsWith("shards DEADLINE_EXCEEDED x10 ");
        assertThat(result.quorumReached()).isFalse();
        assertThat(millis).isLessThan(5_000);
    }

    @Test
    void aQuorumReturnsAsSoonAsEnoughSucceedAndCancelsTheRest() {
        List<Backend> replicas = start("replica-", 5);
        replicas.get(0).delay(Duration.ofSeconds(3));
        replicas.get(1).delay(Duration.ofSeconds(3));
        client = BallastClient.builder()
                .service(ServiceConfig.builder("replicas").endpoints(addresses(replicas)).build())
                .build();

        long start = System.nanoTime();
        FanoutResult result = Fanout.of(client).quorum(3).callEveryEndpoint(request("replicas"));

        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1_500);
        assertThat(result.quorumReached()).isTrue();
        assertThat(result.responses()).extracting(ClientResponse::bodyText)
                .containsExactlyInAnyOrder("replica-2", "replica-3", "replica-4");
        assertThat(result.outcomes()).filteredOn(FanoutResult.Outcome.Abandoned.class::isInstance).hasSize(2);
        assertThat(result.errors().isEmpty()).isTrue();
    }

    @Test
    void aQuorumLargerThanTheNumberOfCallsIsNotReached() {
        List<Backend> replicas = start("replica-", 1);
        client = BallastClient.builder()
                .service(ServiceConfig.builder("replicas").endpoints(addresses(replicas)).build())
                .build();

        FanoutResult one = Fanout.of(client).quorum(2).callEveryEndpoint(request("replicas"));
        FanoutResult none = Fanout.of(client).quorum(1).call(List.of()); // say, discovery not filled yet
        FanoutResult allOfNone = Fanout.of(client).call(List.of());

        assertThat(one.responses()).hasSize(1);
        assertThat(one.quorumReached()).isFalse();
        assertThat(none.quorumReached()).isFalse();
        assertThat(allOfNone.quorumReached()).as("a broadcast that reached no one is not done").isFalse();
    }

    @Test
    void aCallThatEndsAsTheQuorumIsReachedIsEitherWhollyInTheResultOrAbandoned() {
        List<Backend> replicas = start("replica-", 4);
        replicas.get(0).status(503);
        replicas.get(1).status(503);
        client = BallastClient.builder()
                .service(ServiceConfig.builder("replicas").endpoints(addresses(replicas)).build())
                .build();

        for (int i = 0; i < 40; i++) { // answers land together: the race, if there is one, shows
            FanoutResult result = Fanout.of(client).quorum(1).callEveryEndpoint(request("replicas"));

            assertThat(result.quorumReached()).isTrue();
            assertThat(result.errors().total()).as("round %d", i).isEqualTo(result.failureCount());
        }
    }

    @Test
    void theOverallTimeoutBoundsTheWholeFanout() {
        List<Backend> slow = start("slow-", 3);
        slow.forEach(backend -> backend.delay(Duration.ofSeconds(3)));
        client = BallastClient.builder()
                .service(ServiceConfig.builder("slow").endpoints(addresses(slow)).build())
                .build();

        long start = System.nanoTime();
        FanoutResult result = Fanout.of(client).overallTimeout(Duration.ofMillis(300)).callEveryEndpoint(request("slow"));

        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(250L, 1_500L);
        assertThat(result.errors().lines()).singleElement()
                .satisfies(line -> assertThat(line.count()).isEqualTo(3));
    }

    @Test
    void failuresAreGroupedByServiceAndErrorType() {
        List<Backend> failing = start("failing-", 3);
        failing.forEach(backend -> backend.status(503));
        List<Backend> healthy = start("ok-", 2);
        client = BallastClient.builder()
                .service(ServiceConfig.builder("failing").endpoints(addresses(failing)).build())
                .service(ServiceConfig.builder("healthy").endpoints(addresses(healthy)).build())
                .service(ServiceConfig.builder("empty").build())
                .build();
        List<ClientRequest> requests = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            requests.add(request("failing"));
            requests.add(request("healthy"));
            requests.add(request("empty"));
        }
        requests.add(request("missing"));

        FanoutResult result = Fanout.of(client).call(requests);

        assertThat(result.responses()).hasSize(3);
        assertThat(result.errors().lines())
                .extracting(ErrorReport.Line::service, ErrorReport.Line::errorType, ErrorReport.Line::count)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("failing", "HTTP 503", 3L),
                        org.assertj.core.groups.Tuple.tuple("empty", "NO_ENDPOINT", 3L),
                        org.assertj.core.groups.Tuple.tuple("missing", "UNKNOWN_SERVICE", 1L));
        assertThat(result.errors().total()).isEqualTo(7);
        assertThat(result.outcomes()).hasSize(10);
        assertThat(result.outcomes().get(1)).isInstanceOf(FanoutResult.Outcome.Success.class);
    }
}
