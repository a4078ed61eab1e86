package dev.ballast.proxy.http;

import dev.ballast.core.pick.Policies;
import dev.ballast.core.state.EndpointState;
import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.config.LimitsConfig;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import dev.ballast.proxy.testing.TestConfigs;
import dev.ballast.proxy.testing.WebSocketBackend;
import dev.ballast.core.endpoint.Endpoint;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static dev.ballast.proxy.testing.TestConfigs.endpoints;
import static dev.ballast.proxy.testing.TestConfigs.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Protocol upgrades (RFC 9110 §7.8) and other 1xx responses: a 101 joins client and upstream into a
 * byte tunnel (WebSocket, or any protocol), a declined upgrade stays HTTP, and 103 Early Hints reach
 * the client before the final response.
 */
class ProxyUpgradeTest {

    private static final String ECHO_UPGRADE = "GET /chat HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\n"
            + "Upgrade: echo\r\n\r\n";

    private TestBackend backend;
    private WebSocketBackend webSockets;
    private ProxyServer proxy;
    private InetSocketAddress address;

    private void startWithEcho(LimitsConfig limits) {
        backend = TestBackend.start("b", TestBackend.switchToEcho("echo", "hello\n"));
        proxy = ProxyServer.start(TestConfigs.proxy(upstream("b", Policies.LEAST_CONNECTIONS, endpoints(backend)), limits));
        address = proxy.listenerAddresses().get(0);
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (backend != null) {
            backend.close();
        }
        if (webSockets != null) {
            webSockets.close();
        }
    }

    @Test
    void relaysWebSocketMessagesBothWaysWithTheJdkClientAndNettyServer() throws Exception {
        webSockets = new WebSocketBackend();
        proxy = ProxyServer.start(TestConfigs.proxy(upstream("ws", Policies.ROUND_ROBIN,
                List.of(Endpoint.parse(webSockets.address())))));
        address = proxy.listenerAddresses().get(0);
        Messages messages = new Messages();
        WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + address.getPort() + WebSocketBackend.PATH), messages)
                .get(10, TimeUnit.SECONDS);

        socket.sendText("hello through ballast", true).get(10, TimeUnit.SECONDS);
        assertThat(messages.next()).isEqualTo("echo: hello through ballast");

        byte[] large = new byte[1 << 20];
        new Random(7).nextBytes(large);
        socket.sendBinary(ByteBuffer.wrap(large), true).get(10, TimeUnit.SECONDS);
        assertThat(messages.next()).as("a 1 MiB binary message, byte for byte").isEqualTo(large);

        socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> webSockets.openConnections() == 0);
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.openConnections() == 0);
        await().atMost(Duration.ofSeconds(10)).until(() -> inFlight("ws") == 0); // the tunnel's slot is given back
    }

    @Test
    void passesUpgradeHeadersOnAndRelaysTheNewProtocolByteForByte() throws Exception {
        startWithEcho(LimitsConfig.defaults());
        try (RawHttp raw = RawHttp.connect(address)) {
            RawHttp.Response switched = raw.send(ECHO_UPGRADE).read();
            assertThat(switched.status()).isEqualTo(101);
            assertThat(switched.header("upgrade")).isEqualTo("echo");
            assertThat(switched.header("connection")).isEqualToIgnoringCase("upgrade");
            assertThat(new String(raw.readBytes(6), StandardCharsets.UTF_8))
                    .as("bytes the upstream sent with its 101").isEqualTo("hello\n");

            byte[] binary = new byte[256 * 1024];
            new Random(3).nextBytes(binary);
            raw.send(binary);
            assertThat(raw.readBytes(binary.length)).isEqualTo(binary);
            assertThat(inFlight("b")).as("a tunnel counts as a request in flight").isEqualTo(1);
        }
        var upgradeRequest = backend.lastRequest().headers();
        assertThat(upgradeRequest.get("upgrade")).isEqualTo("echo");
        assertThat(upgradeRequest.get("connection")).isEqualToIgnoringCase("upgrade");
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.openConnections() == 0);
        assertThat(inFlight("b")).isZero();
    }

    @Test
    void holdsBackAFastUpstreamWhileTheClientDoesNotRead() throws Exception {
        long total = 128L << 20;
        backend = TestBackend.named("b");
        backend.respondWith(backend.floodAfterSwitch("flood", total));
        proxy = ProxyServer.start(TestConfigs.proxy(upstream("b", Policies.ROUND_ROBIN, endpoints(backend))));
        try (RawHttp raw = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            raw.send("GET /f HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: flood\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(101);
            await().atMost(Duration.ofSeconds(10)).until(() -> backend.bodyBytesWritten() > 0);

            // The client reads nothing for a second: the upstream is held back at what the socket
            // buffers on the way hold (a few MiB), not drained into the proxy's memory.
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                    .until(() -> backend.bodyBytesWritten() < (32L << 20));

            long read = 0;
            while (read < total) {
                int part = (int) Math.min(1 << 20, total - read);
                raw.readBytes(part);
                read += part;
            }
            // All of it arrived; the backend counts its last part when that write's future completes.
            await().atMost(Duration.ofSeconds(5)).until(() -> backend.bodyBytesWritten() == total);
        }
    }

    @Test
    void closesTheClientWhenTheUpstreamEndsTheTunnel() throws Exception {
        startWithEcho(LimitsConfig.defaults());
        try (RawHttp raw = RawHttp.connect(address)) {
            assertThat(raw.send(ECHO_UPGRADE).read().status()).isEqualTo(101);
            raw.readBytes(6);
            raw.send("bye\n");
            assertThat(new String(raw.readBytes(4), StandardCharsets.UTF_8)).as("flushed before the close").isEqualTo("bye\n");
            assertThat(raw.closedByPeer()).isTrue();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> inFlight("b") == 0);
    }

    @Test
    void aClientThatFinishesSendingStillGetsTheReplyBeforeTheTunnelCloses() throws Exception {
        startWithEcho(LimitsConfig.defaults());
        try (RawHttp raw = RawHttp.connect(address)) {
            assertThat(raw.send(ECHO_UPGRADE).read().status()).isEqualTo(101);
            raw.readBytes(6);
            raw.send("ping\n").finishSending(); // a FIN: done sending, still reading

            assertThat(new String(raw.readBytes(5), StandardCharsets.UTF_8)).as("the reply after our FIN")
                    .isEqualTo("ping\n");
            raw.timeout(5_000);
            assertThat(raw.closedByPeer()).as("closed once the upstream finished too").isTrue();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> inFlight("b") == 0);
    }

    @Test
    void aTunnelWhoseUpstreamStoppedReadingClosesItWithinClientStallTimeoutAfterTheClientLeaves() throws Exception {
        backend = TestBackend.start("b", TestBackend.switchAndStopReading("echo"));
        // tunnel_idle_timeout 1s: how long the half-closed tunnel waits for the upstream to finish too;
        // client_stall_timeout 500ms: how long the close then waits for the upstream to take the rest.
        LimitsConfig limits = new LimitsConfig(16 * 1024, 8 * 1024, 0, 10_000, 10_000, 60_000, 1_000, 500);
        proxy = ProxyServer.start(TestConfigs.proxy(upstream("b", Policies.ROUND_ROBIN, endpoints(backend)), limits));
        address = proxy.listenerAddresses().get(0);
        RawHttp raw = RawHttp.connect(address);
        assertThat(raw.send(ECHO_UPGRADE).read().status()).isEqualTo(101);
        // More than the sockets' buffers hold: some of it waits in the proxy, for an upstream that never reads.
        Thread sender = Thread.ofVirtual().start(() -> {
            try {
                raw.sendZeros(64 << 20);
            } catch (IOException expected) {
                // the socket closes under the write
            }
        });
        // The client's write parks once every buffer on the way is full, the proxy's towards the upstream too.
        await().atMost(Duration.ofSeconds(10)).until(() -> sender.getState() == Thread.State.WAITING);

        raw.close(); // the client leaves; then the tunnel closes, with bytes the upstream will never take

        // Seen from the proxy: the backend, which reads nothing, would not notice the close.
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.upstreams().get("b").openConnections(backend.address()) == 0);
        sender.join(5_000);
    }

    @Test
    void keepsTheConnectionAsHttpWhenTheUpstreamDeclinesToUpgrade() throws Exception {
        startWithEcho(LimitsConfig.defaults());
        try (RawHttp raw = RawHttp.connect(address)) {
            RawHttp.Response declined = raw.send("GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                    + "Upgrade: other\r\n\r\n").read();
            assertThat(declined.status()).isEqualTo(426);
            assertThat(declined.text()).isEqualTo("upgrade to echo required");

            RawHttp.Response next = raw.send("GET /plain HTTP/1.1\r\nHost: x\r\n\r\n").read();
            assertThat(next.status()).as("the same connection serves the next request").isEqualTo(426);
            assertThat(backend.lastRequest().uri()).isEqualTo("/plain");
            assertThat(backend.lastRequest().headers().contains("upgrade")).isFalse();
        }
    }

    @Test
    void doesNotUpgradeWhenConnectionDoesNotListUpgrade() throws Exception {
        startWithEcho(LimitsConfig.defaults());
        try (RawHttp raw = RawHttp.connect(address)) {
            assertThat(raw.send("GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\n\r\n").read().status())
                    .isEqualTo(426);
        }
        assertThat(backend.lastRequest().headers().contains("upgrade")).as("stripped as hop-by-hop").isFalse();
    }

    @Test
    void answers502ToA101ThatDoesNotSayWhichProtocol() throws Exception {
        backend = TestBackend.start("b", (ctx, request) -> ctx.writeAndFlush(new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS)));
        proxy = ProxyServer.start(TestConfigs.proxy(upstream("b", Policies.ROUND_ROBIN, endpoints(backend))));
        try (RawHttp raw = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            RawHttp.Response response = raw.send(ECHO_UPGRADE).read();
            assertThat(response.status()).isEqualTo(502);
            assertThat(response.text()).contains("without an Upgrade header");
        }
    }

    @Test
    void answers502WhenTheUpstreamSwitchesProtocolsUnasked() throws Exception {
        backend = TestBackend.start("b", TestBackend.unaskedSwitch());
        proxy = ProxyServer.start(TestConfigs.proxy(upstream("b", Policies.ROUND_ROBIN, endpoints(backend))));
        try (RawHttp raw = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            RawHttp.Response response = raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").read();
            assertThat(response.status()).isEqualTo(502);
            assertThat(response.text()).contains("did not ask to upgrade");
        }
    }

    @Test
    void closesATunnelIdleForTunnelIdleTimeoutButNotOneInUse() throws Exception {
        LimitsConfig d = LimitsConfig.defaults();
        startWithEcho(new LimitsConfig(d.maxHeaderSizeBytes(), d.maxUriLengthBytes(), d.maxBodySizeBytes(),
                d.headerReadTimeoutMillis(), d.maxConnections(), d.clientIdleTimeoutMillis(), 1_000));
        try (RawHttp raw = RawHttp.connect(address)) {
            assertThat(raw.send(ECHO_UPGRADE).read().status()).isEqualTo(101);
            raw.readBytes(6);
            // Three timeouts' worth of traffic, a ping every 100 ms: each must come back (and a busy
            // machine may stall the pings for most of a timeout without the tunnel counting as idle).
            AtomicLong lastPingSent = new AtomicLong();
            await().pollInterval(Duration.ofMillis(100)).during(Duration.ofMillis(3_000)).atMost(Duration.ofSeconds(10))
                    .until(() -> {
                        lastPingSent.set(System.nanoTime());
                        return Arrays.equals(raw.send("ping\n").readBytes(5), "ping\n".getBytes(StandardCharsets.UTF_8));
                    });
            raw.timeout(5_000);
            assertThat(raw.closedByPeer()).isTrue();
            // The proxy's idle clock last started as the echo of that ping passed it, after it was sent:
            // a close before the full timeout from the send would be a close while the tunnel was busy.
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastPingSent.get())).isGreaterThanOrEqualTo(1_000);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.openConnections() == 0);
    }

    @Test
    void forwardsEarlyHintsToHttp11ClientsBeforeTheFinalResponse() throws Exception {
        backend = TestBackend.start("b", TestBackend.earlyHints());
        proxy = ProxyServer.start(TestConfigs.proxy(upstream("b", Policies.ROUND_ROBIN, endpoints(backend))));
        try (RawHttp raw = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response hints = raw.read();
            assertThat(hints.status()).isEqualTo(103);
            assertThat(hints.header("link")).isEqualTo("</style.css>; rel=preload; as=style");
            RawHttp.Response last = raw.read();
            assertThat(last.status()).isEqualTo(200);
            assertThat(last.text()).isEqualTo("final");

            raw.send("GET / HTTP/1.0\r\nHost: x\r\n\r\n");
            assertThat(raw.read().status()).as("never a 1xx to an HTTP/1.0 client").isEqualTo(200);
        }
    }

    private int inFlight(String upstream) {
        return proxy.upstreams().get(upstream).balancer().members().stream().mapToInt(EndpointState::active).sum();
    }

    /** Collects whole messages (text as String, binary as byte[]) as the JDK client delivers them in parts. */
    private static final class Messages implements WebSocket.Listener {

        private final LinkedBlockingQueue<Object> received = new LinkedBlockingQueue<>();
        private final StringBuilder text = new StringBuilder();
        private final java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();

        @Override
        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                received.add(text.toString());
                text.setLength(0);
            }
            socket.request(1);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
            byte[] part = new byte[data.remaining()];
            data.get(part);
            binary.writeBytes(part);
            if (last) {
                received.add(binary.toByteArray());
                binary.reset();
            }
            socket.request(1);
            return CompletableFuture.completedFuture(null);
        }

        Object next() throws InterruptedException {
            Object message = received.poll(10, TimeUnit.SECONDS);
            assertThat(message).as("a message within 10 s").isNotNull();
            return message;
        }
    }
}
