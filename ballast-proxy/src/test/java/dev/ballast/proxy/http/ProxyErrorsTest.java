package dev.ballast.proxy.http;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.pick.Policies;
import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.config.LimitsConfig;
import dev.ballast.proxy.config.MatchConfig;
import dev.ballast.proxy.config.RouteConfig;
import dev.ballast.proxy.config.UpstreamConfig;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import dev.ballast.proxy.testing.Teardown;
import dev.ballast.proxy.testing.TestConfigs;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.ballast.proxy.testing.TestConfigs.endpoint;
import static dev.ballast.proxy.testing.TestConfigs.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Each failure gets its status, a body naming the upstream and the reason, and leaves no leak behind. */
class ProxyErrorsTest {

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

    private InetSocketAddress start(UpstreamConfig upstream) {
        proxy = teardown.add(ProxyServer.start(TestConfigs.proxy(upstream)));
        return proxy.listenerAddresses().get(0);
    }

    /** A port nothing listens on. */
    private static Endpoint deadEndpoint() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return Endpoint.of("127.0.0.1", socket.getLocalPort());
        }
    }

    private static RawHttp.Response request(InetSocketAddress address, String raw) throws IOException {
        try (RawHttp client = RawHttp.connect(address)) {
            return client.send(raw).read();
        }
    }

    @Test
    void anUpstreamThatAnswersBeforeTheBodyIsInHasItsAnswerReadByAClientStillWritingTheBody() throws Exception {
        // The upstream refuses on the head alone, as an auth check does, and drops what follows.
        ServerSocket upstreamSocket = new ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress());
        teardown.add(upstreamSocket::close);
        CountDownLatch answered = new CountDownLatch(1);
        Thread upstream = Thread.ofPlatform().daemon().start(() -> {
            try (java.net.Socket socket = upstreamSocket.accept()) {
                java.io.InputStream in = socket.getInputStream();
                for (int matched = 0; matched < 4; ) { // up to the head's blank line
                    int b = in.read();
                    if (b < 0) {
                        return; // the proxy closed before the head ended
                    }
                    matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
                }
                socket.getOutputStream().write("HTTP/1.1 401 Unauthorized\r\nContent-Length: 6\r\n\r\ndenied"
                        .getBytes(StandardCharsets.ISO_8859_1));
                answered.countDown();
                in.transferTo(java.io.OutputStream.nullOutputStream());
            } catch (IOException ignored) {
                // the proxy closed the connection
            }
        });
        teardown.add(upstream::interrupt);
        InetSocketAddress address = start(upstream("api", Policies.ROUND_ROBIN,
                List.of(Endpoint.of("127.0.0.1", upstreamSocket.getLocalPort()))));

        try (RawHttp client = RawHttp.connect(address)) {
            int length = 4 << 20;
            client.send("PUT /doc HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + "\r\n\r\n");
            // Only then the body, written whole before reading: answered first for sure, however slowly a
            // busy machine runs the upstream (else the whole body could be in before the answer).
            assertThat(answered.await(10, TimeUnit.SECONDS)).isTrue();
            client.sendZeros(length);

            assertThat(client.readToEnd()).startsWith("HTTP/1.1 401 ").endsWith("denied")
                    .containsIgnoringCase("connection: close");
        }
    }

    @Test
    void answers502NamingUpstreamWhenEveryEndpointRefuses() throws Exception {
        Endpoint dead = deadEndpoint();
        InetSocketAddress address = start(upstream("api", Policies.ROUND_ROBIN, List.of(dead)));

        RawHttp.Response response = request(address, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(response.status()).isEqualTo(502);
        assertThat(response.text()).contains("upstream api").containsOnlyOnce(dead.address())
                .containsIgnoringCase("refused");
        assertThat(proxy.upstreams().get("api").balancer().members().get(0).active())
                .as("the in-flight slot was released").isZero();
    }

    @Test
    void retriesConnectFailureOnAnotherEndpointForAnyMethod() throws Exception {
        TestBackend live = backend("live");
        InetSocketAddress address = start(upstream("api", Policies.ROUND_ROBIN, List.of(deadEndpoint(), endpoint(live))));

        try (RawHttp client = RawHttp.connect(address)) {
            for (int i = 0; i < 6; i++) {
                client.send("POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
                RawHttp.Response response = client.read();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.text()).isEqualTo("live");
            }
        }
        assertThat(live.requests()).hasSize(6).allSatisfy(r -> assertThat(r.bodyLength()).isEqualTo(2));
    }

    @Test
    void answers503WithTheBalancersReasonWhenNoEndpoint() throws Exception {
        InetSocketAddress address = start(upstream("empty", Policies.LEAST_REQUEST, List.of()));

        RawHttp.Response response = request(address, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(response.status()).isEqualTo(503);
        assertThat(response.text()).contains("upstream empty").contains("no endpoints");
    }

    @Test
    void aRefusedRequestWithoutBodyKeepsTheClientConnection() throws Exception {
        InetSocketAddress address = start(upstream("empty", Policies.LEAST_REQUEST, List.of()));

        try (RawHttp client = RawHttp.connect(address)) {
            for (int i = 0; i < 3; i++) {
                RawHttp.Response response = client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").read();
                assertThat(response.status()).isEqualTo(503);
                assertThat(response.header("connection")).isNotEqualToIgnoringCase("close");
            }
        }
    }

    @Test
    void anHttp10ClientThatKeepsItsConnectionHearsSoInOurOwnAnswersAndOneThatDoesNotIsClosed()
            throws Exception {
        Endpoint dead = deadEndpoint();
        UpstreamConfig refusing = upstream("api", Policies.ROUND_ROBIN, List.of(dead));
        proxy = teardown.add(ProxyServer.start(TestConfigs.proxy(List.of(refusing),
                List.of(new RouteConfig(null, new MatchConfig(null, null, "/api/", null, Set.of(), Map.of(), Map.of()),
                        "api")), LimitsConfig.defaults())));
        InetSocketAddress address = proxy.listenerAddresses().get(0);

        try (RawHttp client = RawHttp.connect(address)) {
            for (String path : List.of("/nowhere", "/api/x", "/nowhere")) { // 404, 502, 404 on one connection
                RawHttp.Response response = client.send("GET " + path + " HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                        .read();
                assertThat(response.status()).isIn(404, 502);
                assertThat(response.header("connection")).as(path).isEqualToIgnoringCase("keep-alive");
            }
        }
        try (RawHttp client = RawHttp.connect(address)) {
            RawHttp.Response response = client.send("GET /nowhere HTTP/1.0\r\n\r\n").read();
            assertThat(response.header("connection")).isEqualToIgnoringCase("close");
            assertThat(client.closedByPeer()).isTrue();
        }
    }

    @Test
    void answers504WhenNoResponseHeaderWithinResponseTimeout() throws Exception {
        TestBackend silent = backend("silent");
        silent.respondWith(TestBackend.silent());
        InetSocketAddress address = start(TestConfigs.withResponseTimeout(
                upstream("slow", Policies.ROUND_ROBIN, List.of(endpoint(silent))), 300));

        long started = System.nanoTime();
        RawHttp.Response response = request(address, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(response.status()).isEqualTo(504);
        assertThat(response.text()).contains("upstream slow").contains("no response header within 300ms");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofMillis(250), Duration.ofSeconds(5));
        // What was waited is a lower bound of its latency: peak-ewma sees it as slow at once.
        assertThat(proxy.upstreams().get("slow").balancer().members().get(0).latencyEwmaNanos(System.nanoTime()))
                .isGreaterThan(TimeUnit.MILLISECONDS.toNanos(250));
    }

    @Test
    void answers502WhenUpstreamClosesBeforeResponding() throws Exception {
        TestBackend rude = backend("rude");
        rude.respondWith((ctx, request) -> ctx.close());
        InetSocketAddress address = start(upstream("rude", Policies.ROUND_ROBIN, List.of(endpoint(rude))));

        RawHttp.Response response = request(address, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");

        assertThat(response.status()).isEqualTo(502);
        assertThat(response.text()).contains("upstream rude").contains("connection closed before a response");
    }

    @Test
    void answers502WhenTheBodyIsBrokenBeforeAnyByteReachedTheClient() throws Exception {
        TestBackend garbled = backend("garbled");
        garbled.respondWith((ctx, request) -> ctx.pipeline().firstContext().writeAndFlush(Unpooled.copiedBuffer(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot a chunk\r\n", StandardCharsets.US_ASCII)));
        InetSocketAddress address = start(upstream("garbled", Policies.ROUND_ROBIN, List.of(endpoint(garbled))));

        RawHttp.Response response = request(address, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(response.status()).isEqualTo(502);
        assertThat(response.text()).contains("upstream garbled", "invalid response body");
    }

    @Test
    void answers502ToAResponseHeaderWithANulOrABareCarriageReturn() throws Exception {
        TestBackend sloppy = backend("sloppy");
        sloppy.respondWith((ctx, request) -> ctx.pipeline().firstContext().writeAndFlush(Unpooled.copiedBuffer(
                "HTTP/1.1 200 OK\r\nX-Bad: a" + (request.uri().equals("/nul") ? "\u0000" : "\r") + "b\r\n"
                        + "Content-Length: 0\r\n\r\n", StandardCharsets.ISO_8859_1)));
        InetSocketAddress address = start(upstream("sloppy", Policies.ROUND_ROBIN, List.of(endpoint(sloppy))));

        for (String path : List.of("/nul", "/cr")) {
            RawHttp.Response response = request(address, "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(response.status()).as(path).isEqualTo(502);
            assertThat(response.text()).contains("upstream sloppy", "invalid response");
        }
    }

    @Test
    void answers502ToAStatusOutside100To599OrAnotherHttpVersion() throws Exception {
        TestBackend odd = backend("odd");
        odd.respondWith((ctx, request) -> ctx.pipeline().firstContext().writeAndFlush(Unpooled.copiedBuffer(
                request.uri().substring(1).replace('_', ' ') + "\r\nContent-Length: 0\r\n\r\n",
                StandardCharsets.US_ASCII)));
        InetSocketAddress address = start(upstream("odd", Policies.ROUND_ROBIN, List.of(endpoint(odd))));

        for (String line : List.of("HTTP/1.1_000_X", "HTTP/1.1_099_X", "HTTP/1.1_600_X", "HTTP/1.1_1000_X",
                "HTTP/2.0_200_OK")) {
            RawHttp.Response response = request(address, "GET /" + line + " HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(response.status()).as(line).isEqualTo(502);
        }
    }

    @Test
    void cutsAResponseWhoseUpstreamGoesQuietMidBodyForIdleTimeout() throws Exception {
        TestBackend quiet = backend("quiet");
        quiet.respondWith(TestBackend.quietMidBody());
        InetSocketAddress address = start(TestConfigs.withIdleTimeout(
                upstream("quiet", Policies.ROUND_ROBIN, List.of(endpoint(quiet))), 500));

        long started = System.nanoTime();
        try (RawHttp client = RawHttp.connect(address)) {
            client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.body()).as("cut short, then closed").hasSizeLessThan(10);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofMillis(400), Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(5)).until(() -> quiet.openConnections() == 0);
    }

    @Test
    void abortsClientConnectionWhenUpstreamClosesMidResponse() throws Exception {
        TestBackend broken = backend("broken");
        broken.respondWith(TestBackend.closeMidResponse());
        InetSocketAddress address = start(upstream("broken", Policies.ROUND_ROBIN, List.of(endpoint(broken))));

        try (RawHttp client = RawHttp.connect(address)) {
            client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.body()).as("the client sees a short body, then the close").hasSizeLessThan(1000);
        }
    }

    @Test
    void clientHangingUpWhileWaitingFreesTheUpstreamConnectionAndSlot() throws Exception {
        TestBackend silent = backend("silent");
        silent.respondWith(TestBackend.silent());
        InetSocketAddress address = start(upstream("slow", Policies.ROUND_ROBIN, List.of(endpoint(silent))));

        try (RawHttp client = RawHttp.connect(address)) {
            client.send("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> silent.requests().size() == 1);
        }

        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> silent.openConnections() == 0
                && proxy.upstreams().get("slow").balancer().members().get(0).active() == 0);
    }

    @Test
    void asksForNoBodyWhenNoEndpointCanTakeTheRequest() throws Exception {
        InetSocketAddress address = start(upstream("empty", Policies.ROUND_ROBIN, List.of()));

        RawHttp.Response response = request(address,
                "PUT /doc HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");

        assertThat(response.status()).as("503 straight away, no 100 Continue first").isEqualTo(503);
        assertThat(response.header("connection")).isEqualTo("close");
    }

    @Test
    void answersConnectWith501AndClosesWithoutReachingTheUpstream() throws Exception {
        TestBackend live = backend("live");
        InetSocketAddress address = start(upstream("api", Policies.ROUND_ROBIN, List.of(endpoint(live))));

        RawHttp.Response response = request(address,
                "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");

        assertThat(response.status()).isEqualTo(501);
        assertThat(response.text()).contains("CONNECT is not supported");
        assertThat(response.header("connection")).isEqualTo("close");
        assertThat(live.requests()).isEmpty();
    }
}
