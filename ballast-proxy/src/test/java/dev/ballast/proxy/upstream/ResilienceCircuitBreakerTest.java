package dev.ballast.proxy.upstream;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.pick.Policies;
import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.config.CircuitBreakerConfig;
import dev.ballast.proxy.config.ResilienceConfig;
import dev.ballast.proxy.config.UpstreamConfig;
import dev.ballast.proxy.testing.AdminClient;
import dev.ballast.proxy.testing.FullAcceptQueue;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import dev.ballast.proxy.testing.Teardown;
import dev.ballast.proxy.testing.TestConfigs;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Over a circuit_breaker limit the client gets 503 at once, naming the limit; below it, service resumes. */
class ResilienceCircuitBreakerTest {

    private final Teardown teardown = new Teardown();
    private ProxyServer proxy;

    @AfterEach
    void stop() throws Exception {
        teardown.close();
    }

    /** Holds every request until {@code answer} completes, then answers at once. */
    private TestBackend heldBackend(CompletableFuture<Void> answer) {
        TestBackend backend = TestBackend.start("slow", TestBackend.held(answer,
                (ctx, request) -> TestBackend.text(ctx, request, HttpResponseStatus.OK, "slow")));
        teardown.add(backend);
        return backend;
    }

    private InetSocketAddress start(CircuitBreakerConfig limits, long connectTimeoutMillis, List<Endpoint> endpoints) {
        UpstreamConfig base = TestConfigs.upstream("api", Policies.ROUND_ROBIN, endpoints);
        UpstreamConfig upstream = new UpstreamConfig(base.name(), base.balancer(), null, 0, base.endpoints(),
                connectTimeoutMillis, base.responseTimeoutMillis(), base.idleTimeoutMillis(), base.pool(),
                base.hostHeader(), ResilienceConfig.defaults().withCircuitBreaker(limits));
        proxy = teardown.add(ProxyServer.start(TestConfigs.proxy(upstream)));
        return proxy.listenerAddresses().get(0);
    }

    private Upstream upstream() {
        return proxy.upstreams().get("api");
    }

    /** Sends one request on a thread of its own, so that requests are truly concurrent. */
    private static CompletableFuture<RawHttp.Response> sendAsync(InetSocketAddress address) {
        CompletableFuture<RawHttp.Response> response = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (RawHttp client = RawHttp.connect(address)) {
                response.complete(client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").read());
            } catch (IOException | RuntimeException e) {
                response.completeExceptionally(e);
            }
        });
        return response;
    }

    private static List<RawHttp.Response> sendConcurrently(InetSocketAddress address, int count) {
        return join(sendAll(address, count));
    }

    private static List<CompletableFuture<RawHttp.Response>> sendAll(InetSocketAddress address, int count) {
        List<CompletableFuture<RawHttp.Response>> futures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            futures.add(sendAsync(address));
        }
        return futures;
    }

    private static List<RawHttp.Response> join(List<CompletableFuture<RawHttp.Response>> futures) {
        return futures.stream().map(f -> f.orTimeout(10, TimeUnit.SECONDS).join()).toList();
    }

    /**
     * Sends {@code count} requests at once to a backend that holds them, and lets them be answered once
     * {@code held} have reached it and the others have been answered by the proxy: no guess at how long
     * "at once" may take on a busy machine.
     */
    private List<RawHttp.Response> sendWhileHeld(InetSocketAddress address, int count, int held, TestBackend backend,
                                                 CompletableFuture<Void> answer) {
        List<CompletableFuture<RawHttp.Response>> sent = sendAll(address, count);
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.requests().size() == held
                && sent.stream().filter(CompletableFuture::isDone).count() == count - held);
        answer.complete(null);
        return join(sent);
    }

    @Test
    void overMaxRequestsTheClientGets503NamingTheLimitAndServiceResumesBelowIt() throws Exception {
        CompletableFuture<Void> answer = new CompletableFuture<>();
        TestBackend slow = heldBackend(answer);
        InetSocketAddress address = start(new CircuitBreakerConfig(1024, 1024, 2), 1_000,
                List.of(TestConfigs.endpoint(slow)));

        List<RawHttp.Response> responses = sendWhileHeld(address, 3, 2, slow, answer);

        assertThat(responses).extracting(RawHttp.Response::status).containsExactlyInAnyOrder(200, 200, 503);
        RawHttp.Response refused = responses.stream().filter(r -> r.status() == 503).findFirst().orElseThrow();
        assertThat(refused.text()).contains("upstream api: circuit breaker: max_requests (2) reached");
        assertThat(slow.requests()).as("the refused request never reached the endpoint").hasSize(2);
        assertThat(upstream().breaker().requests()).isZero();
        assertThat(sendConcurrently(address, 2)).extracting(RawHttp.Response::status).containsExactly(200, 200);
    }

    @Test
    void overMaxConnectionsTheClientGets503NamingTheLimit() throws Exception {
        CompletableFuture<Void> answer = new CompletableFuture<>();
        TestBackend slow = heldBackend(answer);
        InetSocketAddress address = start(new CircuitBreakerConfig(1, 1024, 1024), 1_000,
                List.of(TestConfigs.endpoint(slow)));

        List<RawHttp.Response> responses = sendWhileHeld(address, 2, 1, slow, answer);

        assertThat(responses).extracting(RawHttp.Response::status).containsExactlyInAnyOrder(200, 503);
        assertThat(responses.stream().filter(r -> r.status() == 503).findFirst().orElseThrow().text())
                .contains("circuit breaker: max_connections (1) reached");
        assertThat(AdminClient.of(proxy.adminAddress()).metrics().find("ballast_upstream_requests_total",
                "upstream", "api", "code", "503")).as("the proxy's refusal, not the endpoint's answer").isEmpty();
        // The one connection now sits idle in the pool of one event loop. A client pinned to the other
        // loop is refused once, which makes that idle connection close: no loop stays locked out until
        // idle_timeout (60s here).
        try (RawHttp pinned = RawHttp.connect(address)) {
            String get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
            assertThat(pinned.send(get).read().status()).isIn(200, 503);
            await().atMost(Duration.ofSeconds(2)).until(() -> pinned.send(get).read().status() == 200);
            for (int i = 0; i < 3; i++) {
                assertThat(pinned.send(get).read().status()).isEqualTo(200);
            }
        }
        assertThat(upstream().breaker().connections()).isEqualTo(1);
    }

    @Test
    void overMaxPendingRequestsTheClientGets503NamingTheLimit() throws Exception {
        // A listener that never accepts: once its accept queue is full, connects hang until they time out.
        FullAcceptQueue blackhole = teardown.add(FullAcceptQueue.open());
        // connect_timeout 4 s: a refusal that waited for it stands well apart from one at once, even on a busy machine.
        InetSocketAddress address = start(new CircuitBreakerConfig(1024, 1, 1024), 4_000,
                List.of(Endpoint.of("127.0.0.1", blackhole.port())));

        CompletableFuture<RawHttp.Response> waiting = sendAsync(address);
        await().atMost(Duration.ofSeconds(5)).until(() -> upstream().breaker().pendingRequests() == 1);
        long started = System.nanoTime();
        RawHttp.Response refused = sendAsync(address).orTimeout(10, TimeUnit.SECONDS).join();

        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.text()).contains("circuit breaker: max_pending_requests (1) reached");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).as("at once, not after connect_timeout")
                .isLessThan(2_000);
        assertThat(waiting.orTimeout(10, TimeUnit.SECONDS).join().status()).as("the first gave up connecting")
                .isIn(502, 503);
        assertThat(upstream().breaker().pendingRequests()).isZero();
    }
}
