package dev.ballast.proxy;

import dev.ballast.core.config.HostPort;
import dev.ballast.core.pick.Policies;
import dev.ballast.proxy.config.AdminConfig;
import dev.ballast.proxy.config.IoTransport;
import dev.ballast.proxy.config.LimitsConfig;
import dev.ballast.proxy.config.ListenerConfig;
import dev.ballast.proxy.config.ProxyConfig;
import dev.ballast.proxy.testing.KernelSlices;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import dev.ballast.proxy.testing.TestConfigs;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.ballast.proxy.testing.TestConfigs.endpoints;
import static dev.ballast.proxy.testing.TestConfigs.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.awaitility.Awaitility.await;

class ProxyServerTest {

    private TestBackend backend;
    private ProxyServer proxy;

    @BeforeEach
    void startBackend() {
        backend = TestBackend.named("svc");
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        backend.close();
    }

    private ProxyConfig config() {
        return TestConfigs.proxy(upstream("svc", Policies.ROUND_ROBIN, endpoints(backend)));
    }

    @Test
    void bindsEveryListenerOnARealPortAndServesHealthz() throws Exception {
        ProxyConfig base = config();
        ProxyConfig twoListeners = new ProxyConfig(List.of(
                new ListenerConfig("one", new HostPort("127.0.0.1", 0)),
                new ListenerConfig("two", new HostPort("127.0.0.1", 0))),
                base.admin(), base.upstreams(), base.routes(), base.limits(), base.drainTimeoutMillis());
        proxy = ProxyServer.start(twoListeners);

        assertThat(proxy.listenerAddresses()).hasSize(2).allSatisfy(a -> assertThat(a.getPort()).isPositive());
        for (InetSocketAddress address : proxy.listenerAddresses()) {
            try (RawHttp raw = RawHttp.connect(address)) {
                assertThat(raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").read().text()).isEqualTo("svc");
            }
        }
        try (RawHttp admin = RawHttp.connect(proxy.adminAddress())) {
            RawHttp.Response health = admin.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").read();
            assertThat(health.status()).isEqualTo(200);
            assertThat(health.text()).isEqualTo("ok\n");
            assertThat(admin.send("GET /nope HTTP/1.1\r\nHost: localhost\r\n\r\n").read().status()).isEqualTo(404);
        }
    }

    @ParameterizedTest
    @EnumSource(IoTransport.class)
    void proxiesOverTheConfiguredTransportOrTheNextOneThisMachineOffers(IoTransport wanted) throws Exception {
        assumeTrue(System.getProperty(Transport.PROPERTY) == null, "-D" + Transport.PROPERTY + " overrides the file");
        ProxyConfig base = config();
        proxy = ProxyServer.start(new ProxyConfig(base.listeners(), base.admin(), base.upstreams(), base.routes(),
                base.limits(), base.drainTimeoutMillis(), base.accessLog(), wanted));

        IoTransport expected = wanted == IoTransport.IO_URING && !IoUring.isAvailable() ? IoTransport.EPOLL : wanted;
        if (expected == IoTransport.EPOLL && !Epoll.isAvailable()) {
            expected = IoTransport.NIO;
        }
        assertThat(proxy.transport()).isEqualTo(expected.id());
        try (RawHttp raw = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            for (int i = 0; i < 3; i++) {
                assertThat(raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").read().text()).isEqualTo("svc");
            }
        }
        assertThat(backend.connections()).as("one pooled upstream connection").isEqualTo(1);
    }

    @Test
    void everyEventLoopRunsWithTheConfiguredKernelSlice() throws Exception {
        assumeTrue(KernelSlices.available(), "needs Linux 6.12+ and Java 22+");
        ProxyConfig base = config();
        proxy = ProxyServer.start(new ProxyConfig(base.listeners(), base.admin(), base.upstreams(), base.routes(),
                base.limits(), base.drainTimeoutMillis(), base.accessLog(), base.transport(), 2, base.via(),
                base.eventLoopSliceMicros(), 250));

        assertThat(proxy.kernelSlice()).isEqualTo("250us");
        // Loops of proxies other tests closed may linger a moment, with the default 100us: count ours.
        assertThat(KernelSlices.ofThreadsNamed("ballast-loop")).filteredOn(slice -> slice == 250_000L).hasSize(2);
        try (RawHttp raw = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            assertThat(raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").read().text()).isEqualTo("svc");
        }
    }

    @Test
    void gracefulShutdownFinishesTheInFlightRequestAndStopsAccepting() throws Exception {
        CompletableFuture<Void> answer = new CompletableFuture<>();
        backend.respondWith(TestBackend.held(answer,
                (ctx, request) -> TestBackend.text(ctx, request, HttpResponseStatus.OK, "finished")));
        proxy = ProxyServer.start(config());
        InetSocketAddress address = proxy.listenerAddresses().get(0);
        HttpClient client = HttpClient.newHttpClient();
        CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + "/slow"))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(5)).until(() -> backend.requests().size() == 1);

        CompletableFuture<Void> shutdown = CompletableFuture.runAsync(() -> proxy.shutdown(Duration.ofSeconds(10)));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThatThrownBy(() -> new Socket("127.0.0.1", address.getPort()).close())
                        .isInstanceOf(ConnectException.class));
        answer.complete(null); // the request in flight finishes only now, while the proxy drains

        HttpResponse<String> response = inFlight.get(10, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("finished");
        assertThat(response.headers().firstValue("connection")).as("told to go elsewhere next").hasValue("close");
        shutdown.get(10, TimeUnit.SECONDS);
    }

    @Test
    void shutdownClosesWhatIsStillRunningWhenTheDrainTimeEnds() throws Exception {
        backend.respondWith(TestBackend.silent());
        proxy = ProxyServer.start(config());
        try (RawHttp raw = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            raw.send("GET /forever HTTP/1.1\r\nHost: x\r\n\r\n");
            await().atMost(Duration.ofSeconds(5)).until(() -> backend.requests().size() == 1);

            long started = System.nanoTime();
            proxy.shutdown(Duration.ofMillis(300));

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
            assertThat(raw.closedByPeer()).isTrue();
        }
    }

    @Test
    void idleClientConnectionsCloseAtOnceOnShutdown() throws Exception {
        proxy = ProxyServer.start(config());
        try (RawHttp raw = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").read();
            long started = System.nanoTime();
            proxy.shutdown(Duration.ofSeconds(10));
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
            assertThat(raw.closedByPeer()).isTrue();
        }
    }

    @Test
    void aRequestStillOnItsWayWhenTheDrainBeginsIsAnsweredAndThenTheConnectionCloses() throws Exception {
        proxy = ProxyServer.start(config());
        InetSocketAddress address = proxy.listenerAddresses().get(0);
        try (RawHttp opened = RawHttp.connect(address); RawHttp halfSent = RawHttp.connect(address)) {
            halfSent.send("GET /half HTTP/1.1\r\nHo");
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.openConnections() == 2);

            CompletableFuture<Void> shutdown = CompletableFuture.runAsync(() -> proxy.shutdown(Duration.ofSeconds(10)));
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThatThrownBy(() -> new Socket("127.0.0.1", address.getPort()).close())
                            .isInstanceOf(ConnectException.class));

            for (RawHttp client : List.of(opened, halfSent)) {
                RawHttp.Response response = client == opened
                        ? client.send("GET /new HTTP/1.1\r\nHost: x\r\n\r\n").read()
                        : client.send("st: x\r\n\r\n").read();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.text()).isEqualTo("svc");
                assertThat(response.header("connection")).isEqualTo("close");
                assertThat(client.closedByPeer()).isTrue();
            }
            shutdown.get(10, TimeUnit.SECONDS);
        }
        assertThat(backend.requests()).extracting(TestBackend.Recorded::uri).containsExactlyInAnyOrder("/new", "/half");
    }

    @Test
    void failsToStartNamingTheListenerWhenItsPortIsTaken() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            ProxyConfig base = config();
            ProxyConfig clash = new ProxyConfig(List.of(new ListenerConfig("public", new HostPort("127.0.0.1",
                    taken.getLocalPort()))), new AdminConfig(new HostPort("127.0.0.1", 0), null), base.upstreams(),
                    base.routes(), LimitsConfig.defaults(), 1_000);

            assertThatThrownBy(() -> ProxyServer.start(clash))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("listener 'public'")
                    .hasMessageContaining("127.0.0.1:" + taken.getLocalPort());
        }
    }
}
