package dev.ballast.proxy.http;

import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.testing.AdminClient;
import dev.ballast.proxy.testing.ConfigFiles;
import dev.ballast.proxy.testing.FullAcceptQueue;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

/** A route's {@code mirror}: copies of requests to another upstream, whose answers nobody waits for. */
class ProxyMirrorTest {

    @TempDir
    Path dir;

    private TestBackend main;
    private TestBackend shadow;
    private ProxyServer proxy;
    private AdminClient admin;
    private final List<AutoCloseable> closeLast = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startMain() {
        main = TestBackend.start("main", TestBackend.digestEcho());
    }

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        main.close();
        if (shadow != null) {
            shadow.close();
        }
        for (AutoCloseable closeable : closeLast) {
            closeable.close();
        }
    }

    private RawHttp start(int mirrorPort, String mirrorExtras, String upstreamExtras) throws IOException {
        Path file = dir.resolve("ballast.yaml");
        proxy = ProxyServer.start(ConfigFiles.write(file, ConfigFiles.withLocalListeners("""
                upstreams:
                  main: { endpoints: [127.0.0.1:%d] }
                  shadow:
                    endpoints: [127.0.0.1:%d]
                %s
                routes:
                  - name: orders
                    upstream: main
                    mirror: { upstream: shadow%s }
                """.formatted(main.port(), mirrorPort, upstreamExtras, mirrorExtras))), file, false);
        admin = AdminClient.of(proxy.adminAddress());
        return RawHttp.connect(proxy.listenerAddresses().get(0));
    }

    /** What a raw mirror server does with one accepted connection, on a virtual thread of its own. */
    @FunctionalInterface
    private interface Connection {
        void handle(Socket socket) throws Exception;
    }

    /** A raw server on loopback for mirrors no HTTP library would play; it and its sockets close after the test. */
    private ServerSocket rawServer(Connection each) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        closeLast.add(server);
        Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    Socket accepted = server.accept();
                    closeLast.add(accepted);
                    Thread.ofVirtual().start(() -> {
                        try {
                            each.handle(accepted);
                        } catch (Exception closed) {
                            // the proxy or the test closed it
                        }
                    });
                }
            } catch (IOException closed) {
                // the test is over
            }
        });
        return server;
    }

    private double mirrored(String outcome) throws Exception {
        return admin.metrics().value("ballast_mirror_requests_total", "upstream", "shadow", "outcome", outcome);
    }

    private static byte[] body(int size) {
        byte[] body = new byte[size];
        for (int i = 0; i < size; i++) {
            body[i] = (byte) (i * 31 + 7);
        }
        return body;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    @Test
    void copiesEveryRequestWithItsBodyWhileTheClientGetsOnlyTheRoutesOwnAnswer() throws Exception {
        shadow = TestBackend.start("shadow",
                (ctx, request) -> TestBackend.text(ctx, request, HttpResponseStatus.INTERNAL_SERVER_ERROR, "shadow"));
        // Past a connection's write buffer: the copy must not be dropped for lagging behind it a moment.
        byte[] upload = body(4 * 1024 * 1024);
        try (RawHttp client = start(shadow.port(), "", "")) {
            assertThat(admin.metrics().find("ballast_mirror_requests_total", "upstream", "shadow")).as("from 0 on")
                    .hasSize(7).allSatisfy(sample -> assertThat(sample.value()).isZero());
            client.send("GET /orders?id=7 HTTP/1.1\r\nHost: shop.test\r\nx-ballast-mirror: 1\r\n\r\n");
            assertThat(client.read().text()).isEqualTo("0 " + sha256(new byte[0]));
            await().until(() -> shadow.requests().size() == 1); // its connection free for the next copy

            client.send("POST /orders HTTP/1.1\r\nHost: shop.test\r\nContent-Length: " + upload.length + "\r\n\r\n");
            // In slices the shadow keeps up with: a copy more than 1 MiB behind is dropped by design, and a
            // busy machine could starve the shadow that long.
            int slice = 256 * 1024;
            for (int sent = 0; sent < upload.length; sent += slice) {
                int end = Math.min(upload.length, sent + slice);
                client.send(Arrays.copyOfRange(upload, sent, end));
                await().until(() -> shadow.bodyBytesReceived() >= end);
            }
            assertThat(client.read().text()).isEqualTo(upload.length + " " + sha256(upload));

            client.send("PUT /orders/7 HTTP/1.1\r\nHost: shop.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
            RawHttp.Response chunked = client.read();
            assertThat(chunked.status()).isEqualTo(200);
            assertThat(chunked.text()).isEqualTo("11 " + sha256("hello world".getBytes(StandardCharsets.US_ASCII)));
        }

        await().untilAsserted(() -> assertThat(shadow.requests()).hasSize(3));
        List<TestBackend.Recorded> copies = shadow.requests();
        assertThat(copies).extracting(TestBackend.Recorded::method).containsExactly("GET", "POST", "PUT");
        assertThat(copies).extracting(TestBackend.Recorded::uri).containsExactly("/orders?id=7", "/orders", "/orders/7");
        assertThat(copies.get(1).bodySha256()).isEqualTo(sha256(upload));
        assertThat(copies.get(2).bodySha256()).isEqualTo(sha256("hello world".getBytes(StandardCharsets.US_ASCII)));
        assertThat(copies).allSatisfy(copy -> {
            assertThat(copy.headers().get("x-ballast-mirror")).isEqualTo("1");
            assertThat(copy.headers().get("host")).isEqualTo("shop.test");
            assertThat(copy.headers().get("x-forwarded-for")).isEqualTo("127.0.0.1");
        });
        assertThat(main.requests()).as("a client cannot pass a request off as a copy")
                .allSatisfy(request -> assertThat(request.headers().get("x-ballast-mirror")).isNull());
        assertThat(copies.getFirst().headers().getAll("x-ballast-mirror")).containsExactly("1");
        await().untilAsserted(() -> assertThat(mirrored("5xx")).isEqualTo(3));
        assertThat(admin.metrics().value("ballast_upstream_requests_total", "upstream", "shadow", "code", "500"))
                .as("the copies, by the mirror's endpoint, for its latency next to the route's own").isEqualTo(3);
    }

    @Test
    void copiesReusePooledConnections() throws Exception {
        shadow = TestBackend.named("shadow");
        try (RawHttp client = start(shadow.port(), "", "")) {
            for (int i = 1; i <= 10; i++) {
                client.send("GET /orders/" + i + " HTTP/1.1\r\nHost: shop.test\r\n\r\n");
                assertThat(client.read().status()).isEqualTo(200);
                int copies = i;
                await().untilAsserted(() -> assertThat(mirrored("2xx")).isEqualTo(copies)); // its connection is back
            }
        }
        assertThat(shadow.connections()).isEqualTo(1);
    }

    @Test
    void aMirrorThatIsSlowOrDownNeitherDelaysNorFailsTheClient() throws Exception {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        shadow = TestBackend.start("shadow", TestBackend.held(gate, (ctx, request) ->
                TestBackend.text(ctx, request, HttpResponseStatus.OK, "late")));
        try (RawHttp client = start(shadow.port(), "", "    response_timeout: 300ms")) {
            for (int i = 0; i < 5; i++) {
                client.send("GET /orders/" + i + " HTTP/1.1\r\nHost: shop.test\r\n\r\n");
                assertThat(client.read().status()).isEqualTo(200);
            }
            assertThat(gate).as("every answer came while the mirror held its copies").isNotDone();
            await().untilAsserted(() -> assertThat(mirrored("timeout")).isEqualTo(5));
        } finally {
            gate.complete(null);
        }
    }

    @Test
    void aMirrorThatRefusesConnectionsCountsFailuresAndTheClientStillGetsItsAnswers() throws Exception {
        int refusing;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            refusing = socket.getLocalPort(); // closed again: connecting is refused
        }
        try (RawHttp client = start(refusing, "", "")) {
            for (int i = 0; i < 4; i++) {
                client.send("GET /orders HTTP/1.1\r\nHost: shop.test\r\n\r\n");
                assertThat(client.read().status()).isEqualTo(200);
            }
        }
        await().untilAsserted(() -> assertThat(mirrored("failed") + mirrored("dropped")).isEqualTo(4));
        assertThat(mirrored("failed")).isGreaterThan(0);
    }

    @Test
    void aMirrorThatNeverTakesTheConnectionCountsATimeout() throws Exception {
        FullAcceptQueue full = FullAcceptQueue.open(); // from now on its SYNs go unanswered
        closeLast.add(full);
        try (RawHttp client = start(full.port(), "", "    connect_timeout: 200ms")) {
            client.send("GET /orders HTTP/1.1\r\nHost: shop.test\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
        }
        await().untilAsserted(() -> assertThat(mirrored("timeout")).isEqualTo(1));
        assertThat(admin.metrics().value("ballast_upstream_requests_total", "upstream", "shadow", "code", "504"))
                .isEqualTo(1);
    }

    @Test
    void aRequestRefusedAtOnceIsNotCopied() throws Exception {
        shadow = TestBackend.named("shadow");
        Path file = dir.resolve("ballast.yaml");
        proxy = ProxyServer.start(ConfigFiles.write(file, ConfigFiles.withLocalListeners("""
                upstreams:
                  empty: { endpoints: [] }
                  shadow: { endpoints: [127.0.0.1:%d] }
                routes:
                  - upstream: empty
                    mirror: { upstream: shadow }
                """.formatted(shadow.port()))), file, false);
        admin = AdminClient.of(proxy.adminAddress());
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            client.send("GET /orders HTTP/1.1\r\nHost: shop.test\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(503);
        }
        await().untilAsserted(() -> assertThat(mirrored("dropped")).isEqualTo(1));
        assertThat(shadow.requests()).isEmpty();
    }

    @Test
    void aPooledConnectionTheMirrorClosedAsItWasReusedIsNotItsFaultAndABodilessCopyGoesAgain() throws Exception {
        // Answers the first request on each connection and closes at the second, unanswered: to the
        // proxy, the keep-alive race of a server closing an idle connection as it is reused.
        List<String> seen = new CopyOnWriteArrayList<>();
        ServerSocket oncePerConnection = rawServer(socket -> {
            try (socket) {
                var in = socket.getInputStream();
                for (int request = 1; ; request++) {
                    StringBuilder head = new StringBuilder();
                    while (head.indexOf("\r\n\r\n") < 0) {
                        int b = in.read();
                        if (b < 0) {
                            return;
                        }
                        head.append((char) b);
                    }
                    seen.add(head.substring(0, head.indexOf("\r\n")));
                    if (request > 1) {
                        return; // closed, unanswered
                    }
                    socket.getOutputStream().write(
                            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                }
            }
        });
        try (RawHttp client = start(oncePerConnection.getLocalPort(), "", "")) {
            for (int i = 1; i <= 3; i++) {
                client.send("GET /orders/" + i + " HTTP/1.1\r\nHost: shop.test\r\n\r\n");
                assertThat(client.read().status()).isEqualTo(200);
                int copies = i;
                await().untilAsserted(() -> assertThat(mirrored("2xx")).isEqualTo(copies));
            }
        }
        assertThat(mirrored("failed")).isZero();
        assertThat(admin.metrics().value("ballast_upstream_requests_total", "upstream", "shadow", "code", "502"))
                .isZero();
        assertThat(seen).as("copies 2 and 3 twice: on the closed connection, then on a fresh one")
                .containsExactly("GET /orders/1 HTTP/1.1", "GET /orders/2 HTTP/1.1", "GET /orders/2 HTTP/1.1",
                        "GET /orders/3 HTTP/1.1", "GET /orders/3 HTTP/1.1");
    }

    @Test
    void aReloadThatRemovesTheMirrorRemovesItsCounters() throws Exception {
        shadow = TestBackend.named("shadow");
        start(shadow.port(), "", "").close();
        assertThat(admin.metrics().find("ballast_mirror_requests_total", "upstream", "shadow")).hasSize(7);

        Files.writeString(dir.resolve("ballast.yaml"), ConfigFiles.withLocalListeners("""
                upstreams:
                  main: { endpoints: [127.0.0.1:%d] }
                  shadow: { endpoints: [127.0.0.1:%d] }
                routes:
                  - name: orders
                    upstream: main
                """.formatted(main.port(), shadow.port())));
        assertThat(admin.post("/reload").statusCode()).isEqualTo(200);

        assertThat(admin.metrics().find("ballast_mirror_requests_total")).isEmpty();
    }

    @Test
    void copiesTheSampledShareOfRequests() throws Exception {
        shadow = TestBackend.named("shadow");
        try (RawHttp client = start(shadow.port(), ", sample: 25%", "")) {
            for (int i = 0; i < 800; i++) {
                client.send("GET /orders HTTP/1.1\r\nHost: shop.test\r\n\r\n");
                assertThat(client.read().status()).isEqualTo(200);
            }
        }

        await().untilAsserted(() -> assertThat(mirrored("2xx")).isEqualTo(shadow.requests().size()));
        assertThat(shadow.requests().size() / 800.0).isCloseTo(0.25, within(0.06));
    }

    @Test
    void aMirrorThatReadsOnlyAfterTheRequestIsAnsweredStillGetsTheWholeCopy() throws Exception {
        byte[] upload = body(900 * 1024);
        CompletableFuture<Void> readNow = new CompletableFuture<>();
        CompletableFuture<String> copied = new CompletableFuture<>();
        ServerSocket late = rawServer(socket -> {
            try (socket) {
                socket.setSoTimeout(10_000);
                readNow.get(10, TimeUnit.SECONDS); // reads nothing until the route's upstream has the whole body
                var in = socket.getInputStream();
                String head = "";
                while (!head.endsWith("\r\n\r\n")) {
                    int b = in.read();
                    if (b < 0) {
                        throw new EOFException("the proxy closed before the head ended: " + head);
                    }
                    head += (char) b;
                }
                int length = Integer.parseInt(head.toLowerCase().split("content-length: ")[1].split("\r\n")[0]);
                copied.complete(sha256(in.readNBytes(length)));
                socket.getOutputStream().write("HTTP/1.1 204 No Content\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                socket.getInputStream().read(); // until the proxy closes
            } catch (Exception e) {
                copied.completeExceptionally(e);
            }
        });
        try (RawHttp client = start(late.getLocalPort(), "", "")) {
            client.send("POST /orders HTTP/1.1\r\nHost: shop.test\r\nContent-Length: " + upload.length + "\r\n\r\n");
            client.send(upload);
            assertThat(client.read().text()).isEqualTo(upload.length + " " + sha256(upload));
            readNow.complete(null);
            assertThat(copied.get(10, TimeUnit.SECONDS)).isEqualTo(sha256(upload));
            await().untilAsserted(() -> assertThat(mirrored("2xx")).isEqualTo(1));
            assertThat(mirrored("dropped")).isZero();
        }
    }

    @Test
    void aMirrorThatResetsItsConnectionMidUploadLeavesTheUploadWhole() throws Exception {
        ServerSocket resetting = rawServer(socket -> {
            socket.getInputStream().readNBytes(64 * 1024); // the head and some of the body
            socket.setSoLinger(true, 0);
            socket.close(); // a reset, no answer
        });
        byte[] chunk = body(256 * 1024);
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        int chunks = 32;
        try (RawHttp client = start(resetting.getLocalPort(), "", "")) {
            client.timeout(30_000);
            for (int round = 0; round < 3; round++) {
                client.send("POST /upload HTTP/1.1\r\nHost: shop.test\r\nTransfer-Encoding: chunked\r\n\r\n");
                for (int i = 0; i < chunks; i++) {
                    client.send((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    client.send(chunk);
                    client.send("\r\n");
                    digest.update(chunk);
                }
                client.send("0\r\n\r\n");
                assertThat(client.read().text()).as("upload %d", round)
                        .isEqualTo((long) chunk.length * chunks + " " + HexFormat.of().formatHex(digest.digest()));
            }
        }
        await().untilAsserted(() -> assertThat(mirrored("failed") + mirrored("dropped")).isEqualTo(3));
    }

    @Test
    void aMirrorThatStopsReadingIsDroppedWhileABigUploadGoesThroughWhole() throws Exception {
        ServerSocket stuck = rawServer(socket -> { }); // accepts, and never reads
        byte[] chunk = body(1024 * 1024);
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        int chunks = 64;
        try (RawHttp client = start(stuck.getLocalPort(), "", "")) {
            client.timeout(30_000);
            client.send("POST /upload HTTP/1.1\r\nHost: shop.test\r\nContent-Length: " + (long) chunk.length * chunks
                    + "\r\n\r\n");
            for (int i = 0; i < chunks; i++) {
                client.send(chunk);
                digest.update(chunk);
            }
            assertThat(client.read().text())
                    .isEqualTo((long) chunk.length * chunks + " " + HexFormat.of().formatHex(digest.digest()));
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(mirrored("dropped")).isEqualTo(1));
    }
}
