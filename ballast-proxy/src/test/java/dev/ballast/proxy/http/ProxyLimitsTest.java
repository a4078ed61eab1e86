package dev.ballast.proxy.http;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.pick.Policies;
import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.config.LimitsConfig;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import dev.ballast.proxy.testing.TestConfigs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static dev.ballast.proxy.testing.TestConfigs.endpoints;
import static dev.ballast.proxy.testing.TestConfigs.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Protections against bad and slow clients, each with its status and a closed connection. */
class ProxyLimitsTest {

    private static final LimitsConfig LIMITS = new LimitsConfig(1024, 256, 1000, 400, 3, 500, 3_600_000, 600);

    private TestBackend backend;
    private ProxyServer proxy;
    private InetSocketAddress address;

    @BeforeEach
    void start() {
        backend = TestBackend.named("b");
        backend.respondWith(TestBackend.digestEcho());
        proxy = ProxyServer.start(TestConfigs.proxy(upstream("b", Policies.ROUND_ROBIN, endpoints(backend)), LIMITS));
        address = proxy.listenerAddresses().get(0);
    }

    /** The proxy again, with {@code limits} instead of {@link #LIMITS}. */
    private void restartWith(LimitsConfig limits) {
        proxy.close();
        proxy = ProxyServer.start(TestConfigs.proxy(upstream("b", Policies.ROUND_ROBIN, endpoints(backend)), limits));
        address = proxy.listenerAddresses().get(0);
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    @Test
    void answers431WhenHeadersExceedMaxHeaderSize() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(2000) + "\r\n\r\n");
            RawHttp.Response response = raw.read();
            assertThat(response.status()).isEqualTo(431);
            assertThat(raw.closedByPeer()).isTrue();
        }
        assertThat(backend.requests()).isEmpty();
    }

    @Test
    void answers431ToAHeadOfMoreFieldsThanMaxHeaderCountHoweverShortTheyAre() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET / HTTP/1.1\r\nHost: x\r\n" + "a:\r\n".repeat(LimitsConfig.DEFAULT_MAX_HEADER_COUNT)
                    + "\r\n");
            RawHttp.Response response = raw.read();
            assertThat(response.status()).isEqualTo(431);
            assertThat(response.text()).contains("more than 100 header fields (max_header_count)");
            assertThat(raw.closedByPeer()).isTrue();
        }
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET / HTTP/1.1\r\nHost: x\r\n" + "a:\r\n".repeat(LimitsConfig.DEFAULT_MAX_HEADER_COUNT - 1)
                    + "\r\n");
            assertThat(raw.read().status()).as("100 fields in all, and the proxy adds its own").isEqualTo(200);
        }
        assertThat(backend.requests()).hasSize(1);
        assertThat(backend.lastRequest().headers().contains("x-forwarded-for")).isTrue();
    }

    @Test
    void answers414WhenRequestLineExceedsMaxUriLength() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET /" + "p".repeat(400) + " HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(414);
            assertThat(raw.closedByPeer()).isTrue();
        }
    }

    @Test
    void refusesARequestWithBothTransferEncodingAndContentLength() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            // Read by Content-Length, the body would end after "0\r\n\r\n" and "GET /smuggled" would be
            // a second request; read as chunked it is part of this one. A proxy must not guess.
            raw.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
                    + "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response response = raw.read();
            assertThat(response.status()).isEqualTo(400);
            assertThat(response.text()).contains("Content-Length");
            assertThat(raw.closedByPeer()).isTrue();
        }
        assertThat(backend.requests()).isEmpty();
    }

    @Test
    void answers413WhenDeclaredBodyExceedsMaxBodySize() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
            RawHttp.Response response = raw.read();
            assertThat(response.status()).isEqualTo(413);
            assertThat(response.text()).contains("max_body_size");
        }
        assertThat(backend.requests()).isEmpty();
    }

    @Test
    void aClientThatWritesItsWholeBodyBeforeReadingStillGetsThe413NotAReset() throws Exception {
        // The 413 comes after the head; closed at once, the proxy would answer the body's bytes with a
        // reset, and a client still writing them would fail there without reading its answer.
        try (RawHttp client = RawHttp.connect(address)) {
            int length = 4 << 20;
            client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + "\r\n\r\n").sendZeros(length);

            assertThat(client.readToEnd()).startsWith("HTTP/1.1 413 ").contains("max_body_size")
                    .containsIgnoringCase("connection: close");
        }
    }

    @Test
    void aClientThatWritesOnPastAHeadOverTheLimitStillGetsThe431NotAReset() throws Exception {
        // The decoder stops at max_header_size; the rest of the head and the body are still coming.
        try (RawHttp client = RawHttp.connect(address)) {
            int length = 4 << 20;
            client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + "\r\nX-Big: "
                    + "a".repeat(4000) + "\r\n\r\n").sendZeros(length);

            assertThat(client.readToEnd()).startsWith("HTTP/1.1 431 ").containsIgnoringCase("connection: close");
        }
    }

    @Test
    void aClientThatWritesOnPastARequestLineOverTheLimitStillGetsThe414NotAReset() throws Exception {
        try (RawHttp client = RawHttp.connect(address)) {
            int length = 4 << 20;
            client.send("POST /" + "u".repeat(4000) + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + length
                    + "\r\n\r\n").sendZeros(length);

            assertThat(client.readToEnd()).startsWith("HTTP/1.1 414 ").containsIgnoringCase("connection: close");
        }
    }

    @Test
    void aBodilessRequestAnsweredWithACloseIsClosedAtOnceNotLingeredOver() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET / HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(417);

            await().atMost(Duration.ofMillis(LingeringClose.LINGER_MILLIS / 2))
                    .until(() -> proxy.openConnections() == 0);
        }
    }

    @Test
    void answers413WhenChunkedBodyGrowsPastMaxBodySize() throws Exception {
        String chunk = "258\r\n" + "x".repeat(600) + "\r\n";
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + chunk);
            RawHttp.Response response = raw.read();
            assertThat(response.status()).isEqualTo(413);
            assertThat(raw.closedByPeer()).isTrue();
        }
    }

    @Test
    void acceptsBodyWithinMaxBodySize() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + "y".repeat(1000));
            assertThat(raw.read().text()).startsWith("1000 ");
        }
    }

    @Test
    void answers408AndClosesWhenHeadersTrickleInTooSlowly() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET / HTTP/1.1\r\nHost: x\r\n");
            RawHttp.Response response = raw.read();
            assertThat(response.status()).isEqualTo(408);
            assertThat(response.text()).contains("header_read_timeout");
            assertThat(raw.closedByPeer()).isTrue();
        }
    }

    @Test
    void answers408AndFreesTheUpstreamConnectionWhenARequestBodyStalls() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
            RawHttp.Response response = raw.read();
            assertThat(response.status()).isEqualTo(408);
            assertThat(response.text()).contains("client_stall_timeout");
            assertThat(raw.closedByPeer()).isTrue();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> backend.openConnections() == 0);
    }

    @Test
    void answers504WhenTheUpstreamStopsTakingTheRequestBody() throws Exception {
        try (ServerSocket deaf = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deaf.setReceiveBufferSize(4096);
            // Accepts, then reads nothing: once the socket buffers are full the body goes nowhere.
            CompletableFuture<Socket> accepted = new CompletableFuture<>();
            Thread.startVirtualThread(() -> {
                try {
                    accepted.complete(deaf.accept());
                } catch (IOException e) {
                    accepted.completeExceptionally(e);
                }
            });
            LimitsConfig unlimitedBody = new LimitsConfig(1024, 256, 0, 400, 3, 500, 3_600_000, 600);
            try (ProxyServer second = ProxyServer.start(TestConfigs.proxy(upstream("deaf", Policies.ROUND_ROBIN,
                    List.of(Endpoint.of("127.0.0.1", deaf.getLocalPort()))), unlimitedBody));
                 Socket client = new Socket()) {
                client.connect(second.listenerAddresses().get(0));
                long total = 64L << 20;
                Thread.startVirtualThread(() -> {
                    try {
                        OutputStream out = client.getOutputStream();
                        out.write(("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + total + "\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                        byte[] chunk = new byte[64 * 1024];
                        for (long sent = 0; sent < total; sent += chunk.length) {
                            out.write(chunk);
                        }
                    } catch (IOException closedByTheProxy) {
                        // expected: the proxy answers and closes long before the body is through
                    }
                });
                client.setSoTimeout(10_000);
                String head = new String(client.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
                assertThat(head).isEqualTo("HTTP/1.1 504"); // closing the client ends the sender
            } finally {
                accepted.thenAccept(socket -> {
                    try {
                        socket.close();
                    } catch (IOException ignored) {
                        // closing
                    }
                });
            }
        }
    }

    @Test
    void aResponseUnderWayIsNotCutBecauseTheRequestBodyStopped() throws Exception {
        try (ServerSocket early = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            // Answers as soon as the head is in, without reading the body: a chunk every 200 ms, six in all,
            // three times as long as client_stall_timeout (600 ms).
            Thread.startVirtualThread(() -> {
                try (Socket upstream = early.accept()) {
                    upstream.setSoTimeout(10_000);
                    InputStream in = upstream.getInputStream();
                    int matched = 0;
                    while (matched < 4) {
                        int b = in.read();
                        if (b < 0) {
                            throw new EOFException("the proxy closed before the head ended");
                        }
                        matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
                    }
                    OutputStream out = upstream.getOutputStream();
                    out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    for (int i = 0; i < 6; i++) {
                        out.flush();
                        Thread.sleep(200); // the upstream's own pace, what the test is about
                        out.write("5\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    in.read(); // until the proxy closes
                } catch (IOException | InterruptedException ignored) {
                    // the test ended
                }
            });
            try (ProxyServer second = ProxyServer.start(TestConfigs.proxy(upstream("early", Policies.ROUND_ROBIN,
                    List.of(Endpoint.of("127.0.0.1", early.getLocalPort()))), LIMITS));
                 RawHttp raw = RawHttp.connect(second.listenerAddresses().get(0))) {
                // Seven of the ten body bytes, then nothing: the client waits for the answer (RFC 9112 §9.6).
                raw.timeout(10_000).send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabcdefg");

                RawHttp.Response response = raw.read();

                assertThat(response.status()).isEqualTo(200);
                assertThat(response.text()).as("not cut at client_stall_timeout").isEqualTo("hello".repeat(6));
            }
        }
    }

    @Test
    void closesAClientThatStopsTakingItsResponse() throws Exception {
        long total = 256L << 20;
        backend.respondWith(backend.stream(total, false));
        try (Socket client = new Socket()) {
            client.setReceiveBufferSize(4096);
            client.connect(address);
            client.getOutputStream().write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            // Never reads: once both socket buffers are full, the proxy waits on this client alone.
            await().atMost(Duration.ofSeconds(10)).until(() -> proxy.openConnections() == 0);
        }
        assertThat(backend.bodyBytesWritten()).isLessThan(total);
    }

    @Test
    void closesAConnectionThatSendsNothingWithoutAnAnswer() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.timeout(5_000);
            assertThat(raw.closedByPeer()).as("closed after header_read_timeout, no 408 to a request never begun")
                    .isTrue();
        }
    }

    @Test
    void headerReadTimeoutAlsoGuardsLaterRequestsOnAKeptAliveConnection() throws Exception {
        // A long idle timeout: a test thread slow to begin the second head must not find the connection closed.
        restartWith(new LimitsConfig(1024, 256, 1000, 400, 3, 60_000, 3_600_000, 600));
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(200);
            raw.send("GET /second HTTP/1.1\r\n");
            assertThat(raw.read().status()).isEqualTo(408);
        }
    }

    @Test
    void anEmptyLineAfterARequestBeginsNoHeadSoDrawsNo408() throws Exception {
        restartWith(new LimitsConfig(1024, 256, 1000, 400, 3, 60_000, 3_600_000, 600));
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
            assertThat(raw.read().status()).isEqualTo(200);
            raw.send("\r\n"); // RFC 9112 §2.2: some clients add one after a POST's body

            raw.timeout(1_500); // well past header_read_timeout (400 ms)
            assertThatThrownBy(raw::read).as("no 408 for a request never begun").isInstanceOf(SocketTimeoutException.class);
            raw.timeout(5_000);
            raw.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(200);
        }
    }

    @Test
    void aNextRequestHeadBegunWhileTheLastResponseWasOnItsWayGetsTheHeaderClockNotTheIdleOne() throws Exception {
        CompletableFuture<Void> answer = new CompletableFuture<>();
        backend.respondWith(TestBackend.held(answer, TestBackend.digestEcho()));
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            await().atMost(Duration.ofSeconds(5)).until(() -> backend.requests().size() == 1);
            raw.send("GET /second HTTP/1.1\r\n"); // while the first is served, and never finished
            answer.complete(null); // only now: the answer cannot go out before the second head began

            assertThat(raw.read().status()).isEqualTo(200);
            RawHttp.Response timedOut = raw.read();
            assertThat(timedOut.status()).as("answered 408, not closed in silence by client_idle_timeout")
                    .isEqualTo(408);
            assertThat(timedOut.text()).contains("header_read_timeout");
        }
    }

    @Test
    void closesIdleKeepAliveConnectionAfterClientIdleTimeout() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            long started = System.nanoTime(); // before the proxy's idle clock starts, at the response
            raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(200);
            raw.timeout(5_000);
            assertThat(raw.closedByPeer()).as("closed without a response").isTrue();
            assertThat((System.nanoTime() - started) / 1_000_000).isBetween(400L, 3_000L);
        }
    }

    @Test
    void refusesConnectionsOverMaxConnections() throws Exception {
        // Long idle and header timeouts: the fourth connection must be closed for the limit, at once,
        // not for idling, and the first three must stay open while it tries.
        restartWith(new LimitsConfig(1024, 256, 1000, 10_000, 3, 10_000, 3_600_000, 600));
        try (RawHttp first = RawHttp.connect(address);
             RawHttp second = RawHttp.connect(address);
             RawHttp third = RawHttp.connect(address)) {
            // All three ask before any reads, so none idles into header_read_timeout meanwhile.
            RawHttp[] all = {first, second, third};
            for (RawHttp raw : all) {
                raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            }
            for (RawHttp raw : all) {
                assertThat(raw.read().status()).isEqualTo(200);
            }
            try (RawHttp fourth = RawHttp.connect(address)) {
                fourth.timeout(1_000);
                assertThat(fourth.closedByPeer()).as("refused at once").isTrue();
            }
        }
    }

    @Test
    void answers400ToAMalformedRequest() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n");
            RawHttp.Response response = raw.read();
            assertThat(response.status()).isEqualTo(400);
            assertThat(response.text()).doesNotContain("Exception").doesNotContain("\tat ");
        }
    }
}
