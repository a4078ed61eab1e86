package dev.ballast.proxy.http;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.pick.Policies;
import dev.ballast.core.resilience.Backoff;
import dev.ballast.core.resilience.RetryPolicy.Condition;
import dev.ballast.core.state.EndpointState;
import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.config.ResilienceConfig;
import dev.ballast.proxy.config.RetryConfig;
import dev.ballast.proxy.config.UpstreamConfig;
import dev.ballast.proxy.testing.FullAcceptQueue;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import dev.ballast.proxy.testing.Teardown;
import dev.ballast.proxy.testing.TestConfigs;
import dev.ballast.proxy.testing.TestPattern;
import dev.ballast.proxy.upstream.Upstream;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static dev.ballast.proxy.testing.TestConfigs.endpoint;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** What is retried, where, how often and after how long; what is not, and why the client is told. */
class ResilienceRetriesTest {

    private static final RetryConfig DEFAULTS = RetryConfig.defaults();

    private final Teardown teardown = new Teardown();
    private ProxyServer proxy;

    @AfterEach
    void stop() throws Exception {
        teardown.close();
    }

    private TestBackend backend(String name) {
        TestBackend backend = TestBackend.named(name);
        teardown.add(backend);
        return backend;
    }

    /** Reads the whole request, then closes the connection without a word. */
    private TestBackend resetting(String name) {
        TestBackend backend = backend(name);
        backend.respondWith((ctx, request) -> ctx.close());
        return backend;
    }

    /**
     * Starts the proxy with {@code balancer: first} (every request tries the endpoints in this order)
     * and outlier detection off, so that which endpoint fails first is certain.
     */
    private InetSocketAddress start(RetryConfig retries, List<Endpoint> endpoints) {
        return start(retries, endpoints, Policies.FIRST);
    }

    private InetSocketAddress start(RetryConfig retries, List<Endpoint> endpoints, String balancer) {
        ResilienceConfig resilience = ResilienceConfig.defaults().withRetries(retries)
                .withOutlierDetection(dev.ballast.core.outlier.OutlierDetection.of(5, Duration.ofSeconds(30), 0));
        UpstreamConfig upstream = TestConfigs.upstream("api", balancer, endpoints).withResilience(resilience);
        proxy = teardown.add(ProxyServer.start(TestConfigs.proxy(upstream)));
        return proxy.listenerAddresses().get(0);
    }

    /**
     * {@code balancer: first}, {@code response_timeout} as given, and outlier detection that ejects an
     * endpoint on its first failure (up to {@code maxEjectionPercent}): which endpoint got blamed shows.
     */
    private InetSocketAddress startEjectingOnOneFailure(RetryConfig retries, long responseTimeoutMillis,
                                                       int maxEjectionPercent, List<Endpoint> endpoints) {
        ResilienceConfig resilience = ResilienceConfig.defaults().withRetries(retries).withOutlierDetection(
                dev.ballast.core.outlier.OutlierDetection.of(1, Duration.ofSeconds(30), maxEjectionPercent));
        UpstreamConfig upstream = TestConfigs.withResponseTimeout(TestConfigs.upstream("api", Policies.FIRST, endpoints),
                responseTimeoutMillis).withResilience(resilience);
        proxy = teardown.add(ProxyServer.start(TestConfigs.proxy(upstream)));
        return proxy.listenerAddresses().get(0);
    }

    /**
     * Round robin over two backends that never answer, with up to five retries of timeouts: how
     * {@code response_timeout} bounds the tries that {@code per_try_timeout} cuts.
     */
    private InetSocketAddress startOverTwoSilentBackends(long perTryMillis, long responseTimeoutMillis,
                                                        ResilienceConfig resilience) {
        TestBackend a = backend("a");
        TestBackend b = backend("b");
        a.respondWith(TestBackend.silent());
        b.respondWith(TestBackend.silent());
        RetryConfig retries = new RetryConfig(5, EnumSet.of(Condition.TIMEOUT), Set.of(), Duration.ofMillis(perTryMillis),
                RetryConfig.DEFAULT_BUDGET_PERCENT, Backoff.none());
        UpstreamConfig upstream = TestConfigs.withResponseTimeout(TestConfigs.upstream("api", Policies.ROUND_ROBIN,
                List.of(endpoint(a), endpoint(b))), responseTimeoutMillis).withResilience(resilience.withRetries(retries));
        proxy = teardown.add(ProxyServer.start(TestConfigs.proxy(upstream)));
        return proxy.listenerAddresses().get(0);
    }

    private Upstream upstream() {
        return proxy.upstreams().get("api");
    }

    private static RetryConfig retries(int attempts, Set<Condition> on, Set<Integer> statuses, Backoff backoff) {
        return new RetryConfig(attempts, on, statuses, Duration.ZERO, RetryConfig.DEFAULT_BUDGET_PERCENT, backoff);
    }

    private static RawHttp.Response send(InetSocketAddress address, String method, byte[] body) throws IOException {
        try (RawHttp client = RawHttp.connect(address)) {
            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            raw.writeBytes((method + " /doc HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            raw.writeBytes(body);
            return client.send(raw.toByteArray()).read();
        }
    }

    /** {@code body} in two chunks and the empty chunk that ends it, without trailers. */
    private static RawHttp.Response sendChunked(InetSocketAddress address, String method, byte[] body)
            throws IOException {
        try (RawHttp client = RawHttp.connect(address)) {
            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            raw.writeBytes((method + " /doc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            int half = body.length / 2;
            for (int[] chunk : new int[][] {{0, half}, {half, body.length}}) {
                raw.writeBytes((Integer.toHexString(chunk[1] - chunk[0]) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                raw.write(body, chunk[0], chunk[1] - chunk[0]);
                raw.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            }
            raw.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            return client.send(raw.toByteArray()).read();
        }
    }

    private static byte[] pattern(int length) throws IOException {
        return TestPattern.stream(length, () -> { }).readAllBytes();
    }

    private static Endpoint deadEndpoint() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return Endpoint.of("127.0.0.1", socket.getLocalPort());
        }
    }

    @Test
    void postWhoseBodyWasSentIsNotRetriedWhenTheBackendResets() throws Exception {
        TestBackend first = resetting("first");
        TestBackend second = backend("second");
        InetSocketAddress address = start(DEFAULTS, List.of(endpoint(first), endpoint(second)));

        RawHttp.Response response = send(address, "POST", "order=1".getBytes(StandardCharsets.UTF_8));

        assertThat(response.status()).isEqualTo(502);
        assertThat(response.text()).contains("connection closed before a response")
                .contains("not retried: non-idempotent request already sent");
        assertThat(response.header("x-ballast-attempts")).isEqualTo("1");
        assertThat(first.requests()).hasSize(1);
        assertThat(second.requests()).as("the order was not placed twice").isEmpty();
    }

    @Test
    void aRetryOfARequestThatCameWithoutAHostNamesTheEndpointItGoesToNotTheFirstOne() throws Exception {
        TestBackend first = resetting("first");
        TestBackend second = backend("second");
        InetSocketAddress address = start(DEFAULTS, List.of(endpoint(first), endpoint(second)));

        try (RawHttp raw = RawHttp.connect(address)) {
            assertThat(raw.send("GET / HTTP/1.0\r\n\r\n").read().status()).isEqualTo(200); // HTTP/1.0: no Host needed
        }

        assertThat(first.lastRequest().headers().get("Host")).isEqualTo(first.address());
        assertThat(second.lastRequest().headers().get("Host")).isEqualTo(second.address());
    }

    @Test
    void putIsRetriedOnAnotherEndpointWithItsBodySentAgain() throws Exception {
        TestBackend first = resetting("first");
        TestBackend second = backend("second");
        second.respondWith(TestBackend.digestEcho());
        InetSocketAddress address = start(DEFAULTS, List.of(endpoint(first), endpoint(second)));
        int length = 40 * 1024;

        RawHttp.Response response = send(address, "PUT", pattern(length));

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.text()).isEqualTo(length + " " + TestPattern.sha256(length));
        assertThat(response.header("x-ballast-attempts")).isEqualTo("2");
        assertThat(first.requests()).singleElement().satisfies(r -> assertThat(r.bodyLength()).isEqualTo(length));
        assertThat(upstream().retries()).isEqualTo(1);
    }

    @Test
    void aChunkedPutIsRetriedWithItsBodyAndTheChunkThatEndsItSentAgain() throws Exception {
        TestBackend first = resetting("first");
        TestBackend second = backend("second");
        second.respondWith(TestBackend.digestEcho());
        InetSocketAddress address = start(DEFAULTS, List.of(endpoint(first), endpoint(second)));
        int length = 40 * 1024;

        RawHttp.Response response = sendChunked(address, "PUT", pattern(length));

        assertThat(response.status()).as("the second endpoint saw the body end").isEqualTo(200);
        assertThat(response.text()).isEqualTo(length + " " + TestPattern.sha256(length));
        assertThat(response.header("x-ballast-attempts")).isEqualTo("2");
    }

    @Test
    void aBodyLargerThanWhatIsKeptForRetriesIsNotRetriedOnceSent() throws Exception {
        TestBackend first = resetting("first");
        TestBackend second = backend("second");
        InetSocketAddress address = start(DEFAULTS, List.of(endpoint(first), endpoint(second)));
        int length = Exchange.MAX_REPLAY_BYTES + 1;

        RawHttp.Response response = send(address, "PUT", pattern(length));

        assertThat(response.status()).isEqualTo(502);
        assertThat(response.text()).contains("not retried: request body larger than the 64 KiB kept for retries");
        assertThat(second.requests()).isEmpty();
    }

    @Test
    void connectFailuresAreRetriedForAnyMethodAndTheResponseCountsTheTries() throws Exception {
        TestBackend live = backend("live");
        InetSocketAddress address = start(DEFAULTS, List.of(deadEndpoint(), endpoint(live)));

        RawHttp.Response response = send(address, "POST", "order=2".getBytes(StandardCharsets.UTF_8));

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.text()).isEqualTo("live");
        assertThat(response.header("x-ballast-attempts")).isEqualTo("2");
    }

    @Test
    void retriedStatusesGoToAnotherEndpointThanTheOneThatFailed() throws Exception {
        TestBackend failing = backend("failing");
        failing.respondWith((ctx, request) -> TestBackend.text(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE, "busy"));
        TestBackend good = backend("good");
        InetSocketAddress address = start(retries(2, Set.of(), Set.of(503), RetryConfig.DEFAULT_BACKOFF),
                List.of(endpoint(failing), endpoint(good)), Policies.ROUND_ROBIN);

        int retried = 0;
        for (int i = 0; i < 20; i++) {
            RawHttp.Response response = send(address, "GET", new byte[0]);
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.text()).isEqualTo("good");
            retried += response.header("x-ballast-attempts").equals("2") ? 1 : 0;
        }

        assertThat(failing.requests()).as("each request that met the failing endpoint met it once").hasSize(retried);
        assertThat(retried).isPositive();
    }

    @Test
    void aThirdTryGoesToTheEndpointNoTryHasFailedOn() throws Exception {
        List<TestBackend> failing = List.of(backend("failing-a"), backend("failing-b"));
        for (TestBackend backend : failing) {
            backend.respondWith((ctx, request) -> TestBackend.text(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE, "busy"));
        }
        TestBackend good = backend("good");
        InetSocketAddress address = start(retries(2, Set.of(), Set.of(503), Backoff.none()),
                List.of(endpoint(failing.get(0)), endpoint(failing.get(1)), endpoint(good)), Policies.RANDOM);

        // Two retries are enough only when the third try avoids both failed endpoints: going back to
        // the first one would answer 503 to about one request in six.
        int thirdTries = 0;
        for (int i = 0; i < 40; i++) {
            RawHttp.Response response = send(address, "GET", new byte[0]);
            assertThat(response.status()).as("request %d", i).isEqualTo(200);
            assertThat(response.text()).isEqualTo("good");
            thirdTries += response.header("x-ballast-attempts").equals("3") ? 1 : 0;
        }

        assertThat(thirdTries).as("requests that met both failing endpoints first").isPositive();
    }

    @Test
    void aStatusLeftAfterTheLastTryIsForwarded() throws Exception {
        TestBackend a = backend("a");
        TestBackend b = backend("b");
        for (TestBackend backend : List.of(a, b)) {
            backend.respondWith((ctx, request) -> TestBackend.text(ctx, request, HttpResponseStatus.BAD_GATEWAY,
                    "from " + backend.name()));
        }
        InetSocketAddress address = start(retries(1, Set.of(), Set.of(502), Backoff.none()),
                List.of(endpoint(a), endpoint(b)));

        RawHttp.Response response = send(address, "GET", new byte[0]);

        assertThat(response.status()).isEqualTo(502);
        assertThat(response.text()).as("the upstream's own answer, not the proxy's").isEqualTo("from b");
        assertThat(response.header("x-ballast-attempts")).isEqualTo("2");
    }

    @Test
    void retriesWaitAFullJitterBackoff() throws Exception {
        TestBackend failing = backend("failing");
        failing.respondWith((ctx, request) -> TestBackend.text(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE, "busy"));
        TestBackend good = backend("good");
        Duration ceiling = Duration.ofMillis(300);
        InetSocketAddress address = start(retries(1, Set.of(), Set.of(503), Backoff.exponential(ceiling, ceiling)),
                List.of(endpoint(failing), endpoint(good)));

        List<Long> millis = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            long started = System.nanoTime();
            assertThat(send(address, "GET", new byte[0]).status()).isEqualTo(200);
            millis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        }

        // Uniform in [0, 300ms]: not above the ceiling plus time to serve (room for a busy machine; the
        // ceiling itself is BackoffTest's), and not all near zero (twelve draws below 30 ms: 10^-12).
        assertThat(millis).allSatisfy(ms -> assertThat(ms).isLessThan(ceiling.toMillis() + 750));
        assertThat(millis).anySatisfy(ms -> assertThat(ms).isGreaterThanOrEqualTo(30));
    }

    @Test
    void perTryTimeoutMovesAHangingRequestToAnotherEndpoint() throws Exception {
        TestBackend hanging = backend("hanging");
        hanging.respondWith(TestBackend.silent());
        TestBackend good = backend("good");
        RetryConfig retries = new RetryConfig(1, EnumSet.of(Condition.TIMEOUT), Set.of(), Duration.ofMillis(200),
                RetryConfig.DEFAULT_BUDGET_PERCENT, Backoff.none());
        InetSocketAddress address = start(retries, List.of(endpoint(hanging), endpoint(good)));

        long started = System.nanoTime();
        RawHttp.Response response = send(address, "GET", new byte[0]);
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.text()).isEqualTo("good");
        assertThat(response.header("x-ballast-attempts")).isEqualTo("2");
        assertThat(tookMillis).isBetween(190L, 1_000L);
    }

    @Test
    void responseTimeoutBoundsTheRequestOverAllItsTries() throws Exception {
        // Tries at 0, 1 and 2 s; a fourth would start after the 2.9 s. The third has 900 ms to spare for
        // connecting and late timers on a busy machine.
        InetSocketAddress address = startOverTwoSilentBackends(1_000, 2_900, ResilienceConfig.defaults());

        long started = System.nanoTime();
        RawHttp.Response response = send(address, "GET", new byte[0]);
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

        assertThat(response.status()).isEqualTo(504);
        assertThat(response.text()).contains("no response header within").contains("(after 3 tries)");
        assertThat(tookMillis).as("2.9 s of response_timeout, not 6 tries of 1 s").isBetween(2_880L, 4_500L);
    }

    @Test
    void aTryThatResponseTimeoutCutShortIsCountedAsAFailedRequestOfItsEndpointButNotHeldAgainstIt() throws Exception {
        // 2.9 s over all tries, 1 s a try: two whole tries, then a third with 900 ms left. Two failures
        // in a row eject: the endpoint of the first and the third try would be ejected if the third counted.
        InetSocketAddress address = startOverTwoSilentBackends(1_000, 2_900, ResilienceConfig.defaults()
                .withOutlierDetection(dev.ballast.core.outlier.OutlierDetection.of(2, Duration.ofSeconds(30), 100)));

        RawHttp.Response response = send(address, "GET", new byte[0]);

        assertThat(response.status()).isEqualTo(504);
        assertThat(response.header("x-ballast-attempts")).isEqualTo("3");
        List<EndpointState> members = upstream().balancer().members();
        assertThat(members.stream().mapToLong(EndpointState::requests).sum()).as("every try").isEqualTo(3);
        assertThat(members.stream().mapToLong(EndpointState::failures).sum()).isEqualTo(3);
        assertThat(members).noneMatch(member -> member.isEjected(System.nanoTime()));
    }

    @Test
    void aRetryStillConnectingWhenResponseTimeoutPassesIsAnswered504AtTheDeadline() throws Exception {
        TestBackend silent = backend("silent");
        silent.respondWith(TestBackend.silent());
        FullAcceptQueue down = teardown.add(FullAcceptQueue.open()); // connects hang, as to a host that is down
        RetryConfig retries = new RetryConfig(1, EnumSet.of(Condition.TIMEOUT, Condition.CONNECT_FAILURE), Set.of(),
                Duration.ofMillis(200), RetryConfig.DEFAULT_BUDGET_PERCENT, Backoff.none());
        UpstreamConfig upstream = TestConfigs.withConnectTimeout(TestConfigs.withResponseTimeout(
                TestConfigs.upstream("api", Policies.FIRST, List.of(endpoint(silent), Endpoint.of("127.0.0.1", down.port()))),
                500), 4_000).withResilience(ResilienceConfig.defaults().withRetries(retries));
        proxy = teardown.add(ProxyServer.start(TestConfigs.proxy(upstream)));

        long started = System.nanoTime();
        RawHttp.Response response = send(proxy.listenerAddresses().get(0), "GET", new byte[0]);
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

        assertThat(response.status()).as("response_timeout's answer, not the retry's late connect failure")
                .isEqualTo(504);
        assertThat(response.text()).contains("response_timeout reached while a retry connected to 127.0.0.1:"
                + down.port());
        assertThat(tookMillis).as("at the 500 ms deadline, not after the 4 s connect_timeout").isLessThan(2_500L);
    }

    @Test
    void withoutPerTryTimeoutARetryThatResponseTimeoutCutShortIsNotHeldAgainstItsEndpoint() throws Exception {
        TestBackend busy = backend("busy");
        busy.respondWith(TestBackend.delayed(Duration.ofMillis(600), (ctx, request) ->
                TestBackend.text(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE, "busy")));
        TestBackend slow = backend("slow");
        slow.respondWith(TestBackend.delayed(Duration.ofMillis(5_000), (ctx, request) ->
                TestBackend.text(ctx, request, HttpResponseStatus.OK, "slow")));
        // The 503 comes at 600 ms of the 1.5 s: the retry has 900 ms, where a first try has all 1.5 s.
        RetryConfig retries = retries(1, Set.of(), Set.of(503), Backoff.none());
        InetSocketAddress address = startEjectingOnOneFailure(retries, 1_500, 100, List.of(endpoint(busy), endpoint(slow)));

        RawHttp.Response response = send(address, "GET", new byte[0]);

        assertThat(response.status()).isEqualTo(504);
        assertThat(response.header("x-ballast-attempts")).isEqualTo("2");
        EndpointState retried = upstream().balancer().members().get(1);
        assertThat(retried.requests()).isEqualTo(1);
        assertThat(retried.failures()).isEqualTo(1);
        assertThat(retried.isEjected(System.nanoTime())).isFalse();
    }

    @Test
    void aRetryWhoseBackoffWouldOutlastResponseTimeoutIsNotMadeAndTheAnswerGoesOnAtOnce() throws Exception {
        TestBackend busy = backend("busy");
        busy.respondWith(TestBackend.delayed(Duration.ofMillis(150), (ctx, request) ->
                TestBackend.text(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE, "busy")));
        TestBackend spare = backend("spare");
        // About 850 ms left after the 503 (a second for a late timer to spare); the backoff is drawn
        // from 0..1000 h: under 850 ms about once in four million.
        RetryConfig retries = retries(1, Set.of(), Set.of(503), Backoff.exponential(Duration.ofHours(1_000),
                Duration.ofHours(1_000)));
        InetSocketAddress address = startEjectingOnOneFailure(retries, 1_000, 100, List.of(endpoint(busy), endpoint(spare)));

        long started = System.nanoTime();
        RawHttp.Response response = send(address, "GET", new byte[0]);
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

        assertThat(response.status()).as("the upstream's answer, not a 504").isEqualTo(503);
        assertThat(response.text()).isEqualTo("busy");
        assertThat(tookMillis).as("not after the backoff").isLessThan(2_000L);
        assertThat(spare.requests()).as("a try that could not be waited for").isEmpty();
        assertThat(upstream().balancer().members().get(1).isEjected(System.nanoTime())).isFalse();
    }

    @Test
    void aTimeoutOfAFirstTryIsCountedEvenWhenPerTryTimeoutIsNotShorterThanResponseTimeout() throws Exception {
        TestBackend silent = backend("silent");
        silent.respondWith(TestBackend.silent());
        TestBackend spare = backend("spare");
        RetryConfig retries = new RetryConfig(0, Set.of(), Set.of(), Duration.ofSeconds(10),
                RetryConfig.DEFAULT_BUDGET_PERCENT, Backoff.none()); // per_try_timeout above response_timeout
        InetSocketAddress address = startEjectingOnOneFailure(retries, 200, 50, List.of(endpoint(silent), endpoint(spare)));

        assertThat(send(address, "GET", new byte[0]).status()).isEqualTo(504);

        await().atMost(Duration.ofSeconds(5)).until(() -> upstream().balancer().members().get(0)
                .isEjected(System.nanoTime()));
    }

    @Test
    void aRetryThatFollowsAConnectFailureStillHoldsTheBudgetSlotOfTheRetryItReplaces() throws Exception {
        TestBackend overloaded = backend("overloaded");
        overloaded.respondWith((ctx, request) -> TestBackend.text(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE, "busy"));
        int refusing;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            refusing = socket.getLocalPort(); // closed again: connecting is refused
        }
        CompletableFuture<Void> answer = new CompletableFuture<>();
        TestBackend spare = backend("spare");
        spare.respondWith(TestBackend.held(answer, (ctx, request) -> TestBackend.text(ctx, request, HttpResponseStatus.OK, "spare")));
        InetSocketAddress address = start(retries(3, Set.of(Condition.CONNECT_FAILURE), Set.of(503), Backoff.none()),
                List.of(TestConfigs.endpoint(overloaded), Endpoint.of("127.0.0.1", refusing), TestConfigs.endpoint(spare)));

        CompletableFuture<RawHttp.Response> response = CompletableFuture.supplyAsync(() -> {
            try {
                return send(address, "GET", new byte[0]);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        // A 503 retried (a budget slot), then a refused connect retried at once: the try on the spare
        // endpoint is still a retry, and is counted while it runs.
        await().atMost(Duration.ofSeconds(10)).until(() -> !spare.requests().isEmpty());
        assertThat(upstream().retryBudget().activeRetries()).isEqualTo(1);
        answer.complete(null);

        assertThat(response.get(10, TimeUnit.SECONDS).text()).isEqualTo("spare");
        await().atMost(Duration.ofSeconds(5)).until(() -> upstream().retryBudget().activeRetries() == 0);
    }

    @Test
    void retryBudgetCapsRetriesWhenEveryEndpointFails() throws Exception {
        int clients = 30;
        AtomicInteger served = new AtomicInteger();
        List<TestBackend> backends = new ArrayList<>();
        for (String name : List.of("a", "b", "c")) {
            TestBackend backend = backend(name);
            backend.respondWith(TestBackend.delayed(Duration.ofMillis(150), (ctx, request) -> {
                served.incrementAndGet();
                TestBackend.text(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE, "overloaded");
            }));
            backends.add(backend);
        }
        InetSocketAddress address = start(retries(3, Set.of(), Set.of(503), Backoff.none()),
                backends.stream().map(TestConfigs::endpoint).toList(), Policies.ROUND_ROBIN);
        // Without a budget every request would be tried 4 times: 120 requests upstream.
        // The most retries in flight at once, sampled every 50 µs or so: a running maximum, so the
        // sampler costs the machine little however long the requests take.
        AtomicInteger mostRetriesInFlight = new AtomicInteger();
        AtomicInteger samples = new AtomicInteger();
        AtomicBoolean sampling = new AtomicBoolean(true);
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (sampling.get()) {
                mostRetriesInFlight.accumulateAndGet(upstream().retryBudget().activeRetries(), Math::max);
                samples.incrementAndGet();
                LockSupport.parkNanos(50_000);
            }
        });
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<RawHttp.Response>> responses = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            responses.add(pool.submit(() -> {
                go.await();
                return send(address, "GET", new byte[0]);
            }));
        }
        try {
            go.countDown();
            for (Future<RawHttp.Response> response : responses) {
                assertThat(response.get(10, TimeUnit.SECONDS).status()).isEqualTo(503);
            }
        } finally {
            sampling.set(false);
            pool.shutdownNow();
            sampler.join(5_000);
        }

        int maxRetries = Math.max(3, clients * 20 / 100);
        assertThat(samples.get()).as("the sampler ran").isPositive();
        assertThat(mostRetriesInFlight.get()).as("retries in flight, sampled").isLessThanOrEqualTo(maxRetries);
        assertThat(upstream().retryBudget().rejected()).as("retries the budget refused").isPositive();
        assertThat(served.get()).as("requests the endpoints had to serve").isLessThan(clients + clients);
        System.out.printf("[figures] retry budget 20%%: %d client requests, %d served upstream (%d without a"
                + " budget), %d retries refused, at most %d retries in flight%n", clients, served.get(), clients * 4,
                upstream().retryBudget().rejected(), mostRetriesInFlight.get());
    }
}
