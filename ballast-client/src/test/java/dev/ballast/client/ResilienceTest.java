package dev.ballast.client;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.ballast.client.testing.Backend;
import dev.ballast.client.testing.HangingBackend;
import dev.ballast.client.testing.UnansweredConnects;
import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.endpoint.TlsFiles;
import dev.ballast.core.health.HealthCheckSettings;
import dev.ballast.core.health.HealthMonitor;
import dev.ballast.core.outlier.OutlierDetection;
import dev.ballast.core.pick.Policies;
import dev.ballast.core.resilience.Backoff;
import dev.ballast.core.resilience.RetryPolicy;
import dev.ballast.core.testing.TestTls;
import dev.ballast.core.time.Scheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.ballast.client.ClientRequest.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Retries, budget, backoff, circuit breaking and outlier ejection, through the core's implementations. */
class ResilienceTest {

    private final Backend a = Backend.start("a");
    private final Backend b = Backend.start("b");
    private final Backend c = Backend.start("c");
    private BallastClient client;

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        List.of(a, b, c).forEach(Backend::close);
    }

    private static RetryPolicy.Builder retries(int attempts) {
        return RetryPolicy.builder().attempts(attempts)
                .retryOn(EnumSet.allOf(RetryPolicy.Condition.class))
                .retryStatuses(java.util.Set.of(502, 503, 504));
    }

    private BallastClient client(ServiceConfig.Builder service) {
        client = BallastClient.builder().service(service.build()).build();
        return client;
    }

    private ServiceConfig.Builder orders(Backend... backends) {
        return ServiceConfig.builder("orders").endpoints(java.util.Arrays.stream(backends).map(Backend::address)
                .toArray(String[]::new));
    }

    @Test
    void aConnectThatCannotFinishWithinATryFailsAsAConnectFailureAndGoesElsewhereEvenForAPost() throws Exception {
        try (UnansweredConnects dropped = new UnansweredConnects()) {
            RetryPolicy connectsOnly = RetryPolicy.builder().attempts(1)
                    .retryOn(EnumSet.of(RetryPolicy.Condition.CONNECT_FAILURE))
                    .perTryTimeout(Duration.ofSeconds(2)).build();
            client(ServiceConfig.builder("orders").endpoints(dropped.address(), a.address())
                    .balancer(Policies.FIRST).retries(connectsOnly).connectTimeout(Duration.ofSeconds(10)));

            ClientResponse response = client.send(request("orders").method("POST", "{}".getBytes()));

            // The try's timeout, not the 10 s connect timeout, ended the connect: as a connect failure,
            // it is retried on the next endpoint, nothing having been sent.
            assertThat(response.bodyText()).isEqualTo("a");
            assertThat(response.attempts()).isEqualTo(2);
        }
    }

    @Test
    void aFailedTlsHandshakeIsAConnectFailureAndGoesElsewhereEvenForAPost(@TempDir Path dir) throws Exception {
        TestTls tls = TestTls.in(dir);
        // The first endpoint's certificate names localhost only, not the 127.0.0.1 it is called at.
        HttpsServer wrongName = https(new TlsFiles(null, tls.localhostServerCert(), tls.localhostServerKey()), "wrong");
        HttpsServer right = https(new TlsFiles(null, tls.serverCert(), tls.serverKey()), "right");
        try {
            RetryPolicy connectsOnly = RetryPolicy.builder().attempts(1)
                    .retryOn(EnumSet.of(RetryPolicy.Condition.CONNECT_FAILURE)).build();
            client = BallastClient.builder()
                    .httpClient(HttpClient.newBuilder().sslContext(new TlsFiles(tls.ca(), null, null).context()).build())
                    .service(ServiceConfig.builder("orders").scheme("https").balancer(Policies.FIRST)
                            .endpoints("127.0.0.1:" + wrongName.getAddress().getPort(),
                                    "127.0.0.1:" + right.getAddress().getPort())
                            .retries(connectsOnly).build())
                    .build();

            ClientResponse response = client.send(request("orders").method("POST", "{}".getBytes()));

            // Nothing is sent before the handshake ends, so the POST may go elsewhere.
            assertThat(response.bodyText()).isEqualTo("right");
            assertThat(response.attempts()).isEqualTo(2);
        } finally {
            wrongName.stop(0);
            right.stop(0);
        }
    }

    private static HttpsServer https(TlsFiles identity, String body) throws Exception {
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(identity.context()));
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        return server;
    }

    @Test
    void endpointUpdatesRacingEjectionsAndReadmissionsNeverDeadlock() throws Exception {
        b.stop(); // refuses connections: every call to it fails at once, and it is ejected for 1 ms
        List<Endpoint> endpoints = List.of(Endpoint.parse(a.address()), Endpoint.parse(b.address()));
        client = BallastClient.builder().service(orders(a, b)
                        .outlierDetection(OutlierDetection.of(1, Duration.ofMillis(1), 50)
                                .withMaxEjectionTime(Duration.ofMillis(1)))
                        .build())
                .build();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Void> calls = CompletableFuture.runAsync(() -> {
            while (!stop.get()) {
                try {
                    client.send(request("orders").path("/"));
                } catch (CallException expected) {
                    // the stopped endpoint's calls fail; their failures drive the ejections
                }
            }
        });
        CompletableFuture<Void> updates = CompletableFuture.runAsync(() -> {
            while (!stop.get()) {
                client.setEndpoints("orders", endpoints); // as a discovery watch does, on its own thread
            }
        });
        try {
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).pollInterval(Duration.ofMillis(20))
                    .untilAsserted(() -> assertThat(threads.findMonitorDeadlockedThreads()).as("deadlocked").isNull());
        } catch (AssertionError | RuntimeException deadlocked) {
            client = null; // closing it would wait on the same locks for ever
            throw deadlocked;
        } finally {
            stop.set(true);
        }
        CompletableFuture.allOf(calls, updates).get(5, TimeUnit.SECONDS);
    }

    @Test
    void anEndpointStoppedMidTrafficIsEjectedAndCallsKeepSucceeding() {
        List<CallListener.EndpointEvent> events = new CopyOnWriteArrayList<>();
        List<String> attemptsTo = new CopyOnWriteArrayList<>();
        client = BallastClient.builder()
                .service(orders(a, b, c)
                        .retries(retries(2).build())
                        .outlierDetection(OutlierDetection.of(3, Duration.ofSeconds(30), 50))
                        .build())
                .listener(new CallListener() {
                    @Override
                    public void attemptFinished(AttemptEvent event) {
                        attemptsTo.add(event.endpoint());
                    }

                    @Override
                    public void endpointChanged(EndpointEvent event) {
                        events.add(event);
                    }
                })
                .build();
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            statuses.add(client.send(request("orders").path("/before")).status());
        }

        b.stop();
        for (int i = 0; i < 60; i++) {
            statuses.add(client.send(request("orders").path("/during")).status());
        }
        // The listener hears of the ejection after the endpoint has left the picks' snapshot.
        await().atMost(Duration.ofSeconds(5)).until(() -> isEjected(b) && told(events, b, "ejected"));
        int attemptsBefore = attemptsTo.size();
        for (int i = 0; i < 60; i++) {
            statuses.add(client.send(request("orders").path("/after")).status());
        }

        assertThat(statuses).hasSize(180).containsOnly(200);
        assertThat(events).anySatisfy(event -> {
            assertThat(event.endpoint()).isEqualTo(b.address());
            assertThat(event.to()).isEqualTo("ejected");
            // The ejection is decided off the caller's thread once the third failure is in, so the next
            // call may fail too before it is: the reason counts every failure of the run.
            assertThat(event.reason()).containsPattern("^[3-9] failures in a row").contains("connect failure");
        });
        assertThat(attemptsTo.subList(attemptsBefore, attemptsTo.size())).doesNotContain(b.address());
        assertThat(a.hits() + c.hits()).isGreaterThanOrEqualTo(140);
    }

    private static boolean told(List<CallListener.EndpointEvent> events, Backend backend, String to) {
        return events.stream().anyMatch(event -> event.endpoint().equals(backend.address()) && event.to().equals(to));
    }

    private boolean isEjected(Backend backend) {
        return isEjected(backend.address());
    }

    private boolean isEjected(String address) {
        return client.endpoints("orders").stream()
                .anyMatch(status -> status.address().equals(address) && status.ejected());
    }

    @Test
    void aClientThatFailsToBuildStopsTheHealthChecksOfTheServicesSetUpBeforeTheFailure() {
        HealthCheckSettings checks = new HealthCheckSettings(Duration.ofMillis(20), Duration.ofSeconds(1), 2, 2,
                Duration.ZERO, 0);
        ServiceConfig checked = orders(a).healthCheck(ServiceConfig.HealthCheck.http("/healthz", checks)).build();
        // Built past the builder's checks: an address no URI can hold fails the second service's setup.
        ServiceConfig valid = ServiceConfig.builder("broken").endpoints("127.0.0.1:1").build();
        ServiceConfig broken = new ServiceConfig(valid.name(), List.of(Endpoint.parse("my_svc:80")), valid.balancer(),
                valid.hashKey(), valid.boundedLoad(), valid.scheme(), valid.connectTimeout(), valid.responseTimeout(),
                valid.slowStart(), valid.panicThreshold(), valid.retries(), valid.retryBudgetPercent(),
                valid.outlierDetection(), valid.healthCheck(), valid.maxRequests(), valid.hedging(),
                valid.maxResponseBytes());

        ScheduledExecutorService control = Executors.newSingleThreadScheduledExecutor();
        AtomicInteger healthTasks = new AtomicInteger();
        Scheduler counting = (task, delayNanos) -> {
            if (task.getClass().getName().startsWith(HealthMonitor.class.getName())) {
                healthTasks.incrementAndGet();
            }
            return Scheduler.of(control).schedule(task, delayNanos);
        };
        try {
            assertThatThrownBy(() -> BallastClient.builder().scheduler(counting).service(checked).service(broken)
                    .build()).hasMessageContaining("my_svc:80");
            assertThat(healthTasks.get()).as("health check tasks scheduled before the failure").isPositive();

            int checksSoFar = a.paths().size();
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                    .until(() -> a.paths().size() <= checksSoFar + 1); // one in flight as it stopped, at most
        } finally {
            control.shutdownNow();
        }
    }

    @Test
    void anEndpointFailingItsHealthChecksLeavesRotationAndComesBack() {
        List<CallListener.EndpointEvent> events = new CopyOnWriteArrayList<>();
        // A second for a check to answer: two slow checks in a row on a busy machine must not flip a or c.
        HealthCheckSettings checks = new HealthCheckSettings(Duration.ofMillis(100), Duration.ofSeconds(1), 2, 2,
                Duration.ZERO, 0);
        client = BallastClient.builder()
                .service(orders(a, b, c).healthCheck(ServiceConfig.HealthCheck.http("/healthz", checks)).build())
                .listener(new CallListener() {
                    @Override
                    public void endpointChanged(EndpointEvent event) {
                        events.add(event);
                    }
                })
                .build();
        await().atMost(Duration.ofSeconds(5)).until(() -> b.paths().contains("/healthz"));

        b.status(503);
        // Awaiting the flag alone races the snapshot the picks read: the listener is told after both.
        await().atMost(Duration.ofSeconds(5)).until(() -> !isHealthy(b) && told(events, b, "unhealthy"));
        long callsToB = callsTo(b);
        for (int i = 0; i < 30; i++) {
            assertThat(client.send(request("orders").path("/work")).status()).isEqualTo(200);
        }
        assertThat(callsTo(b)).isEqualTo(callsToB);

        b.status(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> isHealthy(b) && told(events, b, "healthy"));
        for (int i = 0; i < 30; i++) {
            client.send(request("orders").path("/work"));
        }
        assertThat(callsTo(b)).isGreaterThan(callsToB);
        assertThat(events).filteredOn(event -> event.endpoint().equals(b.address()))
                .extracting(CallListener.EndpointEvent::from, CallListener.EndpointEvent::to)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("healthy", "unhealthy"),
                        org.assertj.core.groups.Tuple.tuple("unhealthy", "healthy"));
        assertThat(events).as("a and c stayed healthy").allMatch(event -> event.endpoint().equals(b.address()));
        assertThat(events.getFirst().reason()).contains("status 503");
    }

    private boolean isHealthy(Backend backend) {
        return client.endpoints("orders").stream()
                .anyMatch(status -> status.address().equals(backend.address()) && status.healthy());
    }

    private static long callsTo(Backend backend) {
        return backend.paths().stream().filter("/work"::equals).count();
    }

    @Test
    void aFailedTryIsRetriedOnAnotherEndpoint() {
        a.status(503);
        client(orders(a, b).balancer(Policies.FIRST).retries(retries(2).build()));

        ClientResponse response = client.send(request("orders"));

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.bodyText()).isEqualTo("b");
        assertThat(response.attempts()).isEqualTo(2);
    }

    @Test
    void aThirdTryGoesToTheEndpointNoTryHasFailedOn() {
        a.status(503);
        b.status(503);
        client(orders(a, b, c).balancer(Policies.RANDOM).retries(retries(2).backoff(Backoff.none()).build())
                .outlierDetection(OutlierDetection.of(5, Duration.ofSeconds(30), 0))); // no ejection: every call may meet a and b

        // Going back to the first failed endpoint would answer 503 to about one call in six.
        int thirdTries = 0;
        for (int i = 0; i < 40; i++) {
            ClientResponse response = client.send(request("orders"));
            assertThat(response.status()).as("call %d", i).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("c");
            thirdTries += response.attempts() == 3 ? 1 : 0;
        }
        assertThat(thirdTries).as("calls that met both failing endpoints first").isPositive();
    }

    @Test
    void aPostThatReachedTheServerIsNotRetried() {
        a.status(503);
        client(orders(a, b).balancer(Policies.FIRST).retries(retries(2).build()));

        ClientResponse response = client.send(request("orders").method("POST", "{}".getBytes()));

        assertThat(response.status()).isEqualTo(503);
        assertThat(response.attempts()).isEqualTo(1);
        assertThat(b.hits()).isZero();
    }

    @Test
    void aPostIsRetriedAfterAConnectFailureSinceNothingWasSent() {
        a.stop();
        client(orders(a, b).balancer(Policies.FIRST).retries(retries(1).build()));

        ClientResponse response = client.send(request("orders").method("POST", "{}".getBytes()));

        assertThat(response.bodyText()).isEqualTo("b");
        assertThat(response.attempts()).isEqualTo(2);
    }

    @Test
    void theRetryBudgetCapsRetriesWhenEveryEndpointFails() {
        for (Backend backend : List.of(a, b, c)) {
            backend.status(503).delay(Duration.ofMillis(300)); // the 30 first tries overlap, even on a busy machine
        }
        client(orders(a, b, c).retries(retries(2).build()).retryBudgetPercent(0)); // only the 3 always allowed

        List<CompletableFuture<ClientResponse>> calls = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            calls.add(client.sendAsync(request("orders")));
        }
        calls.forEach(call -> call.orTimeout(10, TimeUnit.SECONDS).join());

        int tries = a.hits() + b.hits() + c.hits();
        // Without a budget: 30 calls x 3 tries = 90. With 3 retries in flight at most, well under half of that.
        assertThat(tries).isBetween(31, 45);
        assertThat(calls).allSatisfy(call -> assertThat(call.join().status()).isEqualTo(503));
    }

    @Test
    void aFailureTheBudgetKeptFromBeingRetriedSaysSo() {
        for (Backend backend : List.of(a, b, c)) {
            backend.delay(Duration.ofSeconds(2)); // every try times out, and the 20 first ones overlap
        }
        client(orders(a, b, c).retries(retries(2).perTryTimeout(Duration.ofMillis(300)).build())
                .retryBudgetPercent(0)); // only the 3 always allowed

        List<CompletableFuture<ClientResponse>> calls = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            calls.add(client.sendAsync(request("orders").timeout(Duration.ofSeconds(10))));
        }
        List<Throwable> failures = calls.stream()
                .map(call -> call.handle((response, failure) -> failure).orTimeout(10, TimeUnit.SECONDS).join())
                .map(failure -> failure instanceof CompletionException wrapped ? wrapped.getCause() : failure).toList();

        assertThat(failures).allSatisfy(failure -> assertThat(failure).isInstanceOf(CallException.class));
        assertThat(failures).filteredOn(failure -> failure.getMessage().endsWith(
                "; not retried: retry budget (0% of calls in flight) exhausted")).hasSizeGreaterThan(10);
    }

    @Test
    void theCallsDeadlineCoversEveryAttempt() {
        for (Backend backend : List.of(a, b, c)) {
            backend.delay(Duration.ofSeconds(2));
        }
        client(orders(a, b, c).retries(retries(5).perTryTimeout(Duration.ofMillis(300)).build()));

        long start = System.nanoTime();
        assertThatThrownBy(() -> client.send(request("orders").timeout(Duration.ofMillis(700))))
                .isInstanceOfSatisfying(CallException.class, e -> {
                    assertThat(e.kind()).isEqualTo(CallException.Kind.DEADLINE_EXCEEDED);
                    assertThat(e.getMessage()).contains("deadline passed");
                });
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertThat(millis).isBetween(650L, 1_700L); // not 6 tries x 300 ms
        assertThat(a.hits() + b.hits() + c.hits()).isBetween(2, 3);
    }

    @Test
    void cancellingACallEndsItsBackoffAtOnce() throws Exception {
        a.status(503);
        client = BallastClient.builder()
                .service(orders(a).retries(retries(1)
                        .backoff(Backoff.exponential(Duration.ofSeconds(5), Duration.ofSeconds(5))).build()).build())
                .rng(fixedRng(0.9)) // full jitter draws 4.5 s of the 5 s ceiling
                .build();
        CompletableFuture<ClientResponse> call = client.sendAsync(request("orders"));
        await().atMost(Duration.ofSeconds(2)).until(() -> a.hits() >= 1);

        long start = System.nanoTime();
        call.cancel(true);

        assertThatThrownBy(() -> call.get(1, TimeUnit.SECONDS)).isInstanceOf(CancellationException.class);
        // The backoff left would end it after 4.5 s: well under that is "at once", even on a busy machine.
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(2_000);
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(1)).until(() -> a.hits() == 1);
        await().atMost(Duration.ofSeconds(2)).until(() -> client.endpoints("orders").getFirst().inFlight() == 0);
    }

    @Test
    void aCallCancelledDuringItsBackoffFailsCancelledNamingTheLastTry() throws Exception {
        a.status(503);
        client = BallastClient.builder()
                .service(orders(a).retries(retries(1)
                        .backoff(Backoff.exponential(Duration.ofSeconds(5), Duration.ofSeconds(5))).build()).build())
                .rng(fixedRng(0.9))
                .build();
        CallContext context = CallContext.root(dev.ballast.core.time.Ticker.system());
        CompletableFuture<ClientResponse> call = client.sendAsync(request("orders").context(context));
        await().atMost(Duration.ofSeconds(2)).until(() -> a.hits() >= 1);

        context.cancel();

        assertThatThrownBy(() -> call.get(2, TimeUnit.SECONDS)).cause().isInstanceOfSatisfying(CallException.class,
                e -> {
                    assertThat(e.kind()).as("the caller's doing, not the endpoint's").isEqualTo(CallException.Kind.CANCELLED);
                    assertThat(e.getMessage()).contains("cancelled before attempt 2", "status 503");
                });
        assertThat(a.hits()).isEqualTo(1);
    }

    @Test
    void closingTheClientCancelsCallsInFlightAndInBackoffBlamingNoEndpointAndTryingNoMore() throws Exception {
        a.delay(Duration.ofSeconds(5));
        b.status(503);
        client = BallastClient.builder()
                .service(ServiceConfig.builder("slow").endpoints(a.address()).build())
                .service(ServiceConfig.builder("failing").endpoints(b.address(), c.address()).balancer(Policies.FIRST)
                        .retries(retries(1).backoff(Backoff.exponential(Duration.ofSeconds(5), Duration.ofSeconds(5)))
                                .build()).build())
                .rng(fixedRng(0.9))
                .build();
        CompletableFuture<ClientResponse> inFlight = client.sendAsync(request("slow"));
        CompletableFuture<ClientResponse> backingOff = client.sendAsync(request("failing"));
        await().atMost(Duration.ofSeconds(2)).until(() -> a.hits() == 1 && b.hits() == 1);

        client.close();

        for (CompletableFuture<ClientResponse> call : List.of(inFlight, backingOff)) {
            assertThatThrownBy(() -> call.get(2, TimeUnit.SECONDS)).cause().isInstanceOfSatisfying(CallException.class,
                    e -> assertThat(e.kind()).isEqualTo(CallException.Kind.CANCELLED));
        }
        assertThat(c.hits()).as("no retry after close").isZero();
        assertThat(client.endpoints("slow").getFirst().failures()).as("not the endpoint's fault").isZero();
        assertThatThrownBy(() -> client.setEndpoints("slow", List.of(Endpoint.of("127.0.0.1", 1))))
                .isInstanceOf(IllegalStateException.class).hasMessage("client closed");
    }

    @Test
    void aRetryTheCircuitBreakerTurnsAwayLeavesTheCallWithTheAnswerItsTryGot() throws Exception {
        a.status(503);
        try (HangingBackend hanging = new HangingBackend()) {
            client = BallastClient.builder()
                    .service(ServiceConfig.builder("orders").endpoints(a.address(), b.address(), hanging.address())
                            .balancer(Policies.FIRST).maxRequests(1)
                            .retries(retries(1).backoff(Backoff.exponential(Duration.ofSeconds(1), Duration.ofSeconds(1)))
                                    .build()).build())
                    .rng(fixedRng(0.9)) // full jitter draws 900 ms of the 1 s ceiling
                    .build();
            client.send(request("orders").endpoint(b.address())); // warm: the slot is taken well within the backoff
            CompletableFuture<ClientResponse> call = client.sendAsync(request("orders"));
            await().atMost(Duration.ofSeconds(2)).until(() -> a.hits() == 1);
            // While the call backs off, another takes the one slot and keeps it.
            CompletableFuture<ClientResponse> holder = client.sendAsync(request("orders").endpoint(hanging.address()));
            assertThat(hanging.awaitRequest(2_000)).as("the slot taken").isTrue();

            ClientResponse response = call.get(3, TimeUnit.SECONDS);

            assertThat(response.status()).as("the 503 the try got, not the refused retry").isEqualTo(503);
            assertThat(response.endpoint()).isEqualTo(a.address());
            assertThat(response.attempts()).isEqualTo(1);
            assertThat(b.hits()).as("the retry, which would have gone to b, was not sent").isEqualTo(1);
            holder.cancel(true);
        }
    }

    @Test
    void aRetryTurnedAwayForWantOfAnEndpointRethrowsTheFailureItsTryMetWithTheRefusalSuppressed() {
        a.stop();
        client = BallastClient.builder()
                .service(orders(a).panicThreshold(0).outlierDetection(OutlierDetection.of(1, Duration.ofSeconds(30), 100))
                        .retries(retries(1).backoff(Backoff.exponential(Duration.ofSeconds(1), Duration.ofSeconds(1)))
                                .build()).build())
                .rng(fixedRng(0.9))
                .build();

        // The refused connect ejects the only endpoint during the 900 ms backoff: the retry finds none to go to.
        assertThatThrownBy(() -> client.send(request("orders"))).isInstanceOfSatisfying(CallException.class, e -> {
            assertThat(e.kind()).isEqualTo(CallException.Kind.CONNECT_FAILURE);
            assertThat(e.endpoint()).isEqualTo(a.address());
            assertThat(e.getSuppressed()).singleElement().isInstanceOfSatisfying(CallException.class,
                    refused -> assertThat(refused.kind()).isEqualTo(CallException.Kind.NO_ENDPOINT));
        });
    }

    @Test
    void aFailureWhoseRetrysBackoffWouldOutlastTheDeadlineFailsTheCallAtOnceAsDeadlineExceeded() {
        c.stop(); // a closed port: the first try fails to connect
        client = BallastClient.builder()
                .service(orders(c, a).balancer(Policies.FIRST)
                        .retries(retries(1).backoff(Backoff.exponential(Duration.ofSeconds(1), Duration.ofSeconds(1)))
                                .build()).build())
                .rng(fixedRng(0.9)) // full jitter draws 900 ms of the 1 s ceiling
                .build();

        long start = System.nanoTime();
        assertThatThrownBy(() -> client.send(request("orders").timeout(Duration.ofMillis(500))))
                .isInstanceOfSatisfying(CallException.class, e -> {
                    assertThat(e.kind()).isEqualTo(CallException.Kind.DEADLINE_EXCEEDED);
                    assertThat(e.endpoint()).isEqualTo(c.address());
                    assertThat(e.getMessage()).startsWith("orders: not retried after 1 attempt: its backoff (900ms)"
                            + " would outlast the deadline (").contains("ms left); last: ");
                    assertThat(e.getCause()).isInstanceOfSatisfying(CallException.class,
                            cause -> assertThat(cause.kind()).isEqualTo(CallException.Kind.CONNECT_FAILURE));
                });

        // Said at once, not after waiting out the deadline, and no retry was sent.
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(450);
        assertThat(a.hits()).isZero();
    }

    /** Sends twelve calls to "orders" with {@code timeout} each; the kinds of those that failed. */
    private List<CallException.Kind> failuresOfTwelveCalls(Duration timeout) {
        List<CallException.Kind> failures = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            try {
                client.send(request("orders").timeout(timeout));
            } catch (CallException e) {
                failures.add(e.kind());
            }
        }
        return failures;
    }

    @Test
    void anEndpointThatHangsUntilTheCallersDeadlineIsEjected() throws Exception {
        try (HangingBackend hanging = new HangingBackend()) {
            client = BallastClient.builder()
                    .service(ServiceConfig.builder("orders").endpoints(hanging.address(), a.address())
                            .connectTimeout(Duration.ofMillis(100))
                            .outlierDetection(OutlierDetection.of(3, Duration.ofSeconds(30), 50)).build())
                    .build();

            List<CallException.Kind> failures = failuresOfTwelveCalls(Duration.ofMillis(200));

            // The caller still sees its deadline; the endpoint, silent for longer than its connect timeout, is blamed.
            assertThat(failures).isNotEmpty().containsOnly(CallException.Kind.DEADLINE_EXCEEDED);
            await().atMost(Duration.ofSeconds(2)).until(() -> isEjected(hanging.address()));
        }
    }

    @Test
    void anEndpointThatHangsUntilTheCallersDeadlineIsEjectedWhenTheTryTimeoutShortensItsConnectTimeout() throws Exception {
        try (HangingBackend hanging = new HangingBackend()) {
            // connect_timeout stays at its 1 s; the one applied is three quarters of the 400ms try: 300ms.
            client = BallastClient.builder()
                    .service(ServiceConfig.builder("orders").endpoints(hanging.address(), a.address())
                            .responseTimeout(Duration.ofMillis(400))
                            .outlierDetection(OutlierDetection.of(3, Duration.ofSeconds(30), 50)).build())
                    .build();

            List<CallException.Kind> failures = failuresOfTwelveCalls(Duration.ofMillis(350));

            // Silent for longer than the connect timeout it was given (300ms), if not the configured 1 s.
            assertThat(failures).isNotEmpty().containsOnly(CallException.Kind.DEADLINE_EXCEEDED);
            await().atMost(Duration.ofSeconds(2)).until(() -> isEjected(hanging.address()));
        }
    }

    @Test
    void aCallerSuppliedHttpClientsConnectTimeoutIsTheOneAnEndpointCutByTheDeadlineIsJudgedBy() throws Exception {
        try (HangingBackend hanging = new HangingBackend();
             HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(100)).build()) {
            client = BallastClient.builder().httpClient(http)
                    .service(ServiceConfig.builder("orders").endpoints(hanging.address(), a.address())
                            .outlierDetection(OutlierDetection.of(3, Duration.ofSeconds(30), 50)).build())
                    .build();

            List<CallException.Kind> failures = failuresOfTwelveCalls(Duration.ofMillis(200));

            assertThat(failures).isNotEmpty().containsOnly(CallException.Kind.DEADLINE_EXCEEDED);
            await().atMost(Duration.ofSeconds(2)).until(() -> isEjected(hanging.address()));
        }
    }

    private static dev.ballast.core.pick.Rng fixedRng(double value) {
        return new dev.ballast.core.pick.Rng() {
            @Override
            public int nextInt(int bound) {
                return (int) (value * bound);
            }

            @Override
            public double nextDouble() {
                return value;
            }
        };
    }

    @Test
    void theCircuitBreakerRejectsCallsOverMaxRequests() {
        a.delay(Duration.ofSeconds(1));
        client(orders(a).maxRequests(2));

        List<CompletableFuture<ClientResponse>> calls = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            calls.add(client.sendAsync(request("orders")));
        }
        List<String> outcomes = calls.stream().map(call -> call.handle((response, error) -> error == null
                        ? "ok" : ((CallException) error).kind() + ": " + error.getMessage())
                .orTimeout(10, TimeUnit.SECONDS).join()).toList();

        assertThat(outcomes).filteredOn("ok"::equals).hasSize(2);
        assertThat(outcomes).filteredOn(outcome -> !outcome.equals("ok")).hasSize(3)
                .allSatisfy(outcome -> assertThat(outcome).isEqualTo(
                        "REJECTED: orders: circuit breaker: max_requests (2) reached"));
        assertThat(client.send(request("orders")).status()).isEqualTo(200); // recovered
    }
}
