package dev.ballast.client;

import dev.ballast.client.interceptor.Interceptor;
import dev.ballast.client.interceptor.Interceptors;
import dev.ballast.client.testing.Backend;
import dev.ballast.core.pick.Policies;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.ballast.client.ClientRequest.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HedgingTest {

    private final Backend slow = Backend.start("slow").delay(Duration.ofMillis(1_500));
    private final Backend fast = Backend.start("fast");
    private final List<CallListener.AttemptEvent> attempts = new CopyOnWriteArrayList<>();
    private BallastClient client;

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        slow.close();
        fast.close();
    }

    private BallastClient client(ServiceConfig.Builder service) {
        client = BallastClient.builder().service(service.build()).listener(new CallListener() {
            @Override
            public void attemptFinished(AttemptEvent event) {
                attempts.add(event);
            }
        }).build();
        return client;
    }

    private ServiceConfig.Builder service() {
        return ServiceConfig.builder("search").endpoints(slow.address(), fast.address());
    }

    /** Latencies in ms of {@code n} sequential calls. */
    private List<Long> latencies(int n, ClientRequest request) {
        List<Long> millis = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            assertThat(client.send(request).status()).isEqualTo(200);
            millis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        }
        return millis;
    }

    @Test
    void hedgingCutsTheLatencyOfCallsThatLandOnASlowEndpoint() {
        client(service());
        List<Long> plain = latencies(4, request("search"));
        client.close();
        client(service().hedging(ServiceConfig.Hedging.fixed(Duration.ofMillis(50))));

        List<Long> hedged = latencies(4, request("search"));

        assertThat(plain.stream().mapToLong(Long::longValue).max().orElseThrow()).isGreaterThanOrEqualTo(1_450);
        assertThat(hedged).allSatisfy(millis -> assertThat(millis).isLessThan(1_000));
        assertThat(hedged.stream().mapToLong(Long::longValue).sum())
                .isLessThan(plain.stream().mapToLong(Long::longValue).sum() / 3);
        // The losers were cancelled, not waited for.
        assertThat(attempts).filteredOn(a -> a.failure() == CallException.Kind.CANCELLED).isNotEmpty()
                .allSatisfy(a -> {
                    assertThat(a.endpoint()).isEqualTo(slow.address());
                    assertThat(TimeUnit.NANOSECONDS.toMillis(a.durationNanos())).isLessThan(1_000);
                });
    }

    @Test
    void aTryThatLosesToItsHedgeTeachesTheBalancerThatItsEndpointIsSlow() {
        // A delay well above a cold client's first call: the fast endpoint's estimate stays below it.
        client(service().balancer(Policies.PEAK_EWMA).hedging(ServiceConfig.Hedging.fixed(Duration.ofMillis(300))));

        latencies(20, request("search"));

        // Had the cancelled tries taught it nothing, the slow endpoint (never answered, so no estimate)
        // would look the cheaper one for every call, each waiting the hedge delay: 20 tries.
        assertThat(slow.hits()).as("tries sent to the slow endpoint").isLessThanOrEqualTo(5);
    }

    @Test
    void hedgingAtAPercentileKeepsHedgingAboutThatShareOfCallsWhenHedgesWin() {
        // Half the tries go to an endpoint slower than the first delay. Were the tries that lose to their
        // hedge forgotten, the window would hold only fast answers, its p95 would sink to the fast
        // endpoint's latency, and every call landing on the slow one would be hedged (and with the hedge
        // moving the round on, every call would), where the p95 promises about one in twenty.
        slow.delay(Duration.ofMillis(60));
        client(service().balancer(Policies.ROUND_ROBIN)
                .hedging(ServiceConfig.Hedging.atPercentile(0.95, Duration.ofMillis(40))));

        List<Integer> tries = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            ClientResponse response = client.send(request("search"));
            assertThat(response.status()).isEqualTo(200);
            tries.add(response.attempts());
        }

        List<Integer> last = tries.subList(50, 100);
        assertThat(last.stream().filter(n -> n > 1).count()).as("hedged calls of the last 50: %s", last)
                .isLessThanOrEqualTo(7);
    }

    @Test
    void aCallWhoseHedgeWasTurnedAwayReportsTheFailureItsTryMetAtTheEndpoint() {
        // One request at a time: the hedge is refused by the circuit breaker before it is sent, then the
        // try it backed up times out at the slow endpoint. The timeout is what happened to the call.
        client(service().balancer(Policies.FIRST).maxRequests(1).responseTimeout(Duration.ofMillis(300))
                .hedging(ServiceConfig.Hedging.fixed(Duration.ofMillis(50))));

        assertThatThrownBy(() -> client.send(request("search"))).isInstanceOfSatisfying(CallException.class, failure -> {
            assertThat(failure.kind()).isEqualTo(CallException.Kind.TIMEOUT);
            assertThat(failure.endpoint()).isEqualTo(slow.address());
            assertThat(failure.getSuppressed()).singleElement().isInstanceOfSatisfying(CallException.class,
                    refused -> assertThat(refused.kind()).isEqualTo(CallException.Kind.REJECTED));
        });
    }

    @Test
    void onlyIdempotentRequestsAreHedged() {
        client(service().balancer(Policies.FIRST).hedging(ServiceConfig.Hedging.fixed(Duration.ofMillis(50))));

        ClientResponse response = client.send(request("search").method("POST", "{}".getBytes()));

        assertThat(response.bodyText()).isEqualTo("slow");
        assertThat(response.attempts()).isEqualTo(1);
        assertThat(fast.hits()).isZero();
    }

    @Test
    void aRequestPinnedToOneEndpointIsNotHedgedForItsHedgeCouldOnlyGoThereToo() {
        client(service().hedging(ServiceConfig.Hedging.fixed(Duration.ofMillis(50))));

        ClientResponse response = client.send(request("search").endpoint(slow.address()));

        assertThat(response.bodyText()).isEqualTo("slow");
        assertThat(response.attempts()).isEqualTo(1);
        assertThat(slow.hits()).isEqualTo(1);
    }

    @Test
    void aFirstAttemptThatFailsEarlyIsHedgedAtOnce() {
        slow.stop();
        client(service().balancer(Policies.FIRST).hedging(ServiceConfig.Hedging.fixed(Duration.ofSeconds(5))));

        long start = System.nanoTime();
        ClientResponse response = client.send(request("search"));

        assertThat(response.bodyText()).isEqualTo("fast");
        assertThat(response.attempts()).isEqualTo(2);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(2_000);
    }

    @Test
    void hedgesOfAServiceSlowForEveryoneStayWithinTheRetryBudget() throws Exception {
        slow.delay(Duration.ofMillis(600));
        fast.delay(Duration.ofMillis(600));
        client(service().hedging(ServiceConfig.Hedging.fixed(Duration.ofMillis(50))).retryBudgetPercent(20));
        int calls = 30;

        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<ClientResponse>> responses = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                responses.add(callers.submit(() -> client.send(request("search"))));
            }
            for (Future<ClientResponse> response : responses) {
                assertThat(response.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
            }
        }

        // 20% of 30 calls in flight: 6 hedges at most, where unbounded hedging would double the load.
        assertThat(slow.hits() + fast.hits()).isBetween(calls + 1, calls + 6);
    }

    @Test
    void anInterceptorBelowTheHedgeThatThrowsACheckedExceptionUndeclaredEndsTheCallNotHangsIt() {
        client = BallastClient.builder().service(service().build())
                .interceptor(Interceptors.hedging(2, Duration.ofMillis(10)))
                .interceptor(Interceptor.named("sneaky", chain -> {
                    FanoutTest.sneakyThrow(new java.io.IOException("checked, as Kotlin throws it"));
                    return chain.proceed(chain.request());
                }))
                .build();

        CompletableFuture<ClientResponse> call = client.sendAsync(request("search").timeout(Duration.ofMillis(300)));

        assertThatThrownBy(() -> call.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasRootCauseMessage("checked, as Kotlin throws it");
    }

    @Test
    void whenEveryAttemptFailsTheServerErrorIsReturned() {
        slow.delay(Duration.ZERO).status(503);
        fast.status(503);
        client(service().hedging(ServiceConfig.Hedging.fixed(Duration.ofMillis(20))));

        ClientResponse response = client.send(request("search"));

        assertThat(response.status()).isEqualTo(503);
        assertThat(response.attempts()).isEqualTo(2);
    }
}
