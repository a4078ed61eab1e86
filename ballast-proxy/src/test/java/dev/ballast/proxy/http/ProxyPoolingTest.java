package dev.ballast.proxy.http;

import dev.ballast.core.pick.Policies;
import dev.ballast.core.resilience.Backoff;
import dev.ballast.core.resilience.RetryPolicy.Condition;
import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.config.CircuitBreakerConfig;
import dev.ballast.proxy.config.PoolConfig;
import dev.ballast.proxy.config.ResilienceConfig;
import dev.ballast.proxy.config.RetryConfig;
import dev.ballast.proxy.config.UpstreamConfig;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import dev.ballast.proxy.testing.TestConfigs;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

import static dev.ballast.proxy.testing.TestConfigs.endpoints;
import static dev.ballast.proxy.testing.TestConfigs.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class ProxyPoolingTest {

    private TestBackend backend;
    private ProxyServer proxy;
    private InetSocketAddress address;

    @BeforeEach
    void startBackend() {
        backend = TestBackend.named("pooled");
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        backend.close();
    }

    private void start(UpstreamConfig upstream) {
        proxy = ProxyServer.start(TestConfigs.proxy(upstream));
        address = proxy.listenerAddresses().get(0);
    }

    private UpstreamConfig plain() {
        return upstream("pooled", Policies.ROUND_ROBIN, endpoints(backend));
    }

    @Test
    void reusesUpstreamConnectionsForManySequentialRequests() throws Exception {
        start(plain());
        for (int client = 0; client < 4; client++) {
            try (RawHttp raw = RawHttp.connect(address)) {
                for (int i = 0; i < 50; i++) {
                    raw.send("GET /r HTTP/1.1\r\nHost: x\r\n\r\n");
                    assertThat(raw.read().status()).isEqualTo(200);
                }
            }
        }
        assertThat(backend.requests()).hasSize(200);
        assertThat(backend.connections()).as("one pool per event loop, each reusing its connection")
                .isLessThanOrEqualTo(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void neverReusesAConnectionWithBytesBehindAResponseThatHasNoBody() throws Exception {
        start(plain());
        // A 304 that gives a length, and bytes that look like the start of another response: on a reused
        // connection they would become the head of the next client's response.
        backend.respondWith((ctx, request) -> {
            if (request.uri().equals("/poison")) {
                ctx.pipeline().firstContext().writeAndFlush(Unpooled.copiedBuffer("HTTP/1.1 304 Not Modified\r\n"
                        + "Content-Length: 40\r\n\r\nHTTP/1.1 200 OK\r\nSet-Cookie: s=attacker\r\n", StandardCharsets.US_ASCII));
            } else {
                TestBackend.text(ctx, request, HttpResponseStatus.OK, "clean");
            }
        });
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET /poison HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(304);
        }
        for (int client = 0; client < 4; client++) {
            try (RawHttp raw = RawHttp.connect(address)) {
                raw.send("GET /clean HTTP/1.1\r\nHost: x\r\n\r\n");
                assertClean(raw.read());
            }
        }
        // Pipelined: the next request takes a pooled connection the moment the 304 ends, before the
        // decoder has looked at what follows it.
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET /poison HTTP/1.1\r\nHost: x\r\n\r\nGET /clean HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(304);
            assertClean(raw.read());
        }
    }

    private static void assertClean(RawHttp.Response response) {
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.text()).isEqualTo("clean");
        assertThat(response.header("Set-Cookie")).isNull();
    }

    @Test
    void neverReusesAConnectionThatClosedMidResponse() throws Exception {
        start(plain());
        backend.respondWith(TestBackend.closeMidResponse());
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET /broken HTTP/1.1\r\nHost: x\r\n\r\n");
            raw.read();
        }
        backend.respondWith(null);
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET /fine HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().text()).isEqualTo("pooled");
        }
        assertThat(backend.connections()).isEqualTo(2);
        assertThat(backend.requests().get(1).connection()).isNotEqualTo(backend.requests().get(0).connection());
    }

    @Test
    void doesNotReuseConnectionTheUpstreamMarkedClose() throws Exception {
        start(plain());
        backend.respondWith((ctx, request) -> TestBackend.respond(ctx, request, HttpResponseStatus.OK,
                new io.netty.handler.codec.http.DefaultHttpHeaders().set("Connection", "close"), "bye"));
        try (RawHttp raw = RawHttp.connect(address)) {
            for (int i = 0; i < 3; i++) {
                raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
                RawHttp.Response response = raw.read();
                assertThat(response.text()).isEqualTo("bye");
                assertThat(response.header("connection")).as("the client connection stays open").isNull();
            }
        }
        assertThat(backend.connections()).isEqualTo(3);
    }

    @Test
    void closesIdleUpstreamConnectionsAfterIdleTimeout() throws Exception {
        start(TestConfigs.withIdleTimeout(plain(), 1_000)); // long enough to see the connection kept first
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            raw.read();
        }
        assertThat(backend.openConnections()).isEqualTo(1);

        await().atMost(Duration.ofSeconds(5)).until(() -> backend.openConnections() == 0);
    }

    @Test
    void keepsAtMostMaxIdlePerEndpoint() throws Exception {
        start(TestConfigs.withPool(plain(), new PoolConfig(100, 1)));
        CompletableFuture<Void> answer = new CompletableFuture<>();
        backend.respondWith(TestBackend.held(answer,
                (ctx, request) -> TestBackend.text(ctx, request, HttpResponseStatus.OK, "slow")));
        HttpClient client = HttpClient.newHttpClient();
        URI uri = URI.create("http://127.0.0.1:" + address.getPort() + "/");
        List<CompletableFuture<HttpResponse<String>>> responses = IntStream.range(0, 6)
                .mapToObj(i -> client.sendAsync(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString()))
                .toList();
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.requests().size() == 6); // six at once
        answer.complete(null);
        for (CompletableFuture<HttpResponse<String>> response : responses) {
            assertThat(response.get(10, TimeUnit.SECONDS).body()).isEqualTo("slow");
        }
        assertThat(backend.connections()).isGreaterThan(1);

        // Pools are per event loop: each loop keeps at most one idle connection to the endpoint.
        await().atMost(Duration.ofSeconds(5)).until(() ->
                backend.openConnections() <= Runtime.getRuntime().availableProcessors());
    }

    @Test
    void aConnectionIdleOnAnotherEventLoopMakesRoomUnderTheEndpointsLimit() throws Exception {
        proxy = ProxyServer.start(TestConfigs.withEventLoops(
                TestConfigs.proxy(TestConfigs.withPool(plain(), new PoolConfig(1, 1))), 2));
        address = proxy.listenerAddresses().get(0);
        // New client connections are spread over the event loops; the one upstream connection allowed
        // sits idle on whichever loop used it last. Each request must still be served.
        for (int client = 0; client < 6; client++) {
            try (RawHttp raw = RawHttp.connect(address)) {
                raw.send("GET /r HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(raw.read().status()).as("client %d", client).isEqualTo(200);
            }
        }
        assertThat(backend.requests()).hasSize(6);
        assertThat(backend.openConnections()).isLessThanOrEqualTo(1);
    }

    @Test
    void twoClientsOnTwoLoopsUnderAnUpstreamConnectionLimitOfTwoAreAlwaysServedWithinIt() throws Exception {
        TestBackend second = TestBackend.named("second");
        try {
            UpstreamConfig twoEndpoints = upstream("pooled", Policies.ROUND_ROBIN, endpoints(backend, second));
            proxy = ProxyServer.start(TestConfigs.withEventLoops(TestConfigs.proxy(twoEndpoints.withResilience(
                    twoEndpoints.resilience().withCircuitBreaker(new CircuitBreakerConfig(2, 1024, 1024)))), 2));
            address = proxy.listenerAddresses().get(0);
            // Two keep-alive clients, on the two event loops, alternate over two endpoints with room for
            // two upstream connections in all: a loop that wants an endpoint it has no connection to must
            // first have an idle connection closed, its own or the other loop's.
            List<CompletableFuture<List<Integer>>> clients = IntStream.range(0, 2)
                    .mapToObj(c -> CompletableFuture.supplyAsync(() -> {
                        List<Integer> refused = new ArrayList<>();
                        try (RawHttp raw = RawHttp.connect(address)) {
                            for (int i = 0; i < 300; i++) {
                                int status = raw.send("GET /r HTTP/1.1\r\nHost: x\r\n\r\n").read().status();
                                if (status != 200) {
                                    refused.add(i);
                                }
                            }
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                        return refused;
                    }))
                    .toList();

            for (CompletableFuture<List<Integer>> client : clients) {
                assertThat(client.get(60, TimeUnit.SECONDS)).as("requests refused").isEmpty();
            }
            // A backend counts a connection closed when its own loop reads the FIN, which may come just
            // after the last response: wait for the count to settle rather than read it once.
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                    backend.openConnections() + second.openConnections()).as("upstream connections open")
                    .isLessThanOrEqualTo(2));
        } finally {
            second.close();
        }
    }

    @Test
    void answers503WhenEveryEndpointIsAtItsConnectionLimit() throws Exception {
        start(TestConfigs.withPool(plain(), new PoolConfig(2, 2)));
        CompletableFuture<Void> answer = new CompletableFuture<>();
        backend.respondWith(TestBackend.held(answer,
                (ctx, request) -> TestBackend.text(ctx, request, HttpResponseStatus.OK, "slow")));
        HttpClient client = HttpClient.newHttpClient();
        URI uri = URI.create("http://127.0.0.1:" + address.getPort() + "/");
        List<CompletableFuture<HttpResponse<String>>> responses = IntStream.range(0, 5)
                .mapToObj(i -> client.sendAsync(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString()))
                .toList();
        // The backend holds two until the other three have been answered, however slowly they came.
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.requests().size() == 2
                && responses.stream().filter(CompletableFuture::isDone).count() == 3);
        answer.complete(null);

        List<Integer> statuses = responses.stream().map(CompletableFuture::join).map(HttpResponse::statusCode).toList();

        assertThat(statuses).filteredOn(s -> s == 200).hasSize(2);
        assertThat(statuses).filteredOn(s -> s == 503).hasSize(3);
        assertThat(responses.stream().map(CompletableFuture::join).filter(r -> r.statusCode() == 503).findFirst()
                .orElseThrow().body()).contains("upstream pooled").contains("over capacity");
    }

    @Test
    void replaysBodylessIdempotentRequestOnAFreshConnectionWhenAReusedOneDies() throws Exception {
        start(plain());
        // Every connection serves one request, then closes without a word on the next: the race of
        // a server closing an idle keep-alive connection just as the proxy reuses it.
        java.util.Map<Integer, Integer> served = new java.util.concurrent.ConcurrentHashMap<>();
        backend.respondWith((ctx, request) -> {
            if (served.merge(request.connection(), 1, Integer::sum) > 1) {
                ctx.close();
            } else {
                TestBackend.text(ctx, request, HttpResponseStatus.OK, "fresh");
            }
        });
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().text()).isEqualTo("fresh");
            raw.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().text()).as("replayed on a new connection").isEqualTo("fresh");

            raw.send("POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
            RawHttp.Response notReplayed = raw.read();
            assertThat(notReplayed.status()).as("POST is not idempotent: not replayed").isEqualTo(502);
        }
    }

    @Test
    void replaysOnAFreshConnectionOnceInEveryTryNotOnceInTheRequest() throws Exception {
        TestBackend second = TestBackend.named("second");
        try {
            RetryConfig once = new RetryConfig(1, EnumSet.of(Condition.RESET), Set.of(503), Duration.ZERO,
                    RetryConfig.DEFAULT_BUDGET_PERCENT, Backoff.none());
            UpstreamConfig two = upstream("pooled", Policies.ROUND_ROBIN, endpoints(backend, second));
            proxy = ProxyServer.start(TestConfigs.withEventLoops(
                    TestConfigs.proxy(two.withResilience(ResilienceConfig.defaults().withRetries(once))), 1));
            address = proxy.listenerAddresses().get(0);
            // Both backends close a reused connection without a word (the keep-alive race). On a fresh
            // one the first request after the warm-up gets 503, so the request's second try, on the
            // other backend, meets the race again.
            Map<String, Integer> served = new ConcurrentHashMap<>();
            AtomicBoolean refusedOnce = new AtomicBoolean();
            for (TestBackend b : List.of(backend, second)) {
                b.respondWith((ctx, request) -> {
                    if (served.merge(b.name() + request.connection(), 1, Integer::sum) > 1) {
                        ctx.close();
                    } else if (!request.uri().equals("/warm") && refusedOnce.compareAndSet(false, true)) {
                        TestBackend.text(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE, "busy");
                    } else {
                        TestBackend.text(ctx, request, HttpResponseStatus.OK, "from " + b.name());
                    }
                });
            }
            try (RawHttp raw = RawHttp.connect(address)) {
                for (int i = 0; i < 2; i++) { // one pooled connection to each backend
                    assertThat(raw.send("GET /warm HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
                }

                RawHttp.Response response = raw.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n").read();

                assertThat(response.status()).as(response.text()).isEqualTo(200);
                assertThat(refusedOnce).as("the first try was answered 503").isTrue();
            }
        } finally {
            second.close();
        }
    }

    @Test
    void replaysAnIdempotentRequestWithABodyOnAFreshConnectionEvenWithRetriesOff() throws Exception {
        RetryConfig off = new RetryConfig(0, EnumSet.noneOf(Condition.class), Set.of(), Duration.ZERO,
                RetryConfig.DEFAULT_BUDGET_PERCENT, RetryConfig.DEFAULT_BACKOFF);
        start(plain().withResilience(ResilienceConfig.defaults().withRetries(off)));
        java.util.Map<Integer, Integer> served = new java.util.concurrent.ConcurrentHashMap<>();
        backend.respondWith((ctx, request) -> {
            if (served.merge(request.connection(), 1, Integer::sum) > 1) {
                ctx.close(); // the keep-alive race, as above
            } else {
                TestBackend.text(ctx, request, HttpResponseStatus.OK, "stored " + request.bodyLength());
            }
        });
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfirst");
            assertThat(raw.read().text()).isEqualTo("stored 5");
            raw.send("PUT /b HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nsecond");
            assertThat(raw.read().text()).as("replayed, body and all, on a new connection").isEqualTo("stored 6");
        }
    }
}
