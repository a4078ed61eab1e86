package dev.ballast.proxy.http;

import dev.ballast.core.pick.Policies;
import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.testing.TestBackend;
import dev.ballast.proxy.testing.TestConfigs;
import dev.ballast.proxy.testing.TestPattern;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.Callable;

import static dev.ballast.proxy.testing.TestConfigs.endpoints;
import static dev.ballast.proxy.testing.TestConfigs.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Bodies stream through in both directions without being aggregated: each test proves the far side
 * saw data before the near side finished, and checks every byte by digest.
 */
class ProxyStreamingTest {

    private static final long MIB = 1024 * 1024;
    private static final long BIG = 200 * MIB;

    private TestBackend backend;
    private ProxyServer proxy;
    private InetSocketAddress address;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() {
        backend = TestBackend.named("big");
        proxy = ProxyServer.start(TestConfigs.proxy(upstream("big", Policies.ROUND_ROBIN, endpoints(backend))));
        address = proxy.listenerAddresses().get(0);
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + address.getPort() + path);
    }

    @Test
    void uploads200MiBStreamedAndIntact() throws Exception {
        backend.respondWith(TestBackend.digestEcho());
        // Halfway through the upload the client waits until the backend holds a quarter of the body:
        // that can only happen if the proxy forwards parts as they come instead of collecting the body.
        InputStream body = TestPattern.stream(BIG, () -> await().atMost(Duration.ofSeconds(30))
                .until(() -> backend.bodyBytesReceived() >= BIG / 4));
        HttpRequest request = HttpRequest.newBuilder(uri("/upload"))
                .timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> body), BIG))
                .build();

        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(BIG + " " + TestPattern.sha256(BIG));
    }

    @Test
    void uploadsChunkedBodyOfUnknownLength() throws Exception {
        backend.respondWith(TestBackend.digestEcho());
        long size = 20 * MIB + 123;
        HttpRequest request = HttpRequest.newBuilder(uri("/upload"))
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> TestPattern.stream(size, () -> { })))
                .build();

        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());

        assertThat(response.body()).isEqualTo(size + " " + TestPattern.sha256(size));
        assertThat(backend.lastRequest().headers().get("Transfer-Encoding")).isEqualTo("chunked");
    }

    @Test
    void downloads200MiBStreamedAndIntact() throws Exception {
        backend.respondWith(backend.stream(BIG, false));
        HttpRequest request = HttpRequest.newBuilder(uri("/download")).timeout(Duration.ofSeconds(120)).build();

        HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());

        assertThat(response.headers().firstValue("content-length")).hasValue(String.valueOf(BIG));
        assertThat(digestOf(response.body(), BIG)).isEqualTo(TestPattern.sha256(BIG));
    }

    @Test
    void downloadsChunkedResponse() throws Exception {
        long size = 20 * MIB + 7;
        backend.respondWith(backend.stream(size, true));
        HttpRequest request = HttpRequest.newBuilder(uri("/download")).timeout(Duration.ofSeconds(60)).build();

        HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());

        assertThat(digestOf(response.body(), size)).isEqualTo(TestPattern.sha256(size));
    }

    @Test
    void slowClientStopsTheProxyReadingUpstream() throws Exception {
        backend.respondWith(backend.stream(BIG, false));
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(64 * 1024);
            socket.connect(address, 5_000);
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            skipHeaders(in);
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[64 * 1024];
            long read = 0;
            while (read < MIB) {
                int n = in.read(buffer);
                digest.update(buffer, 0, n);
                read += n;
            }

            // The client stops reading. The backend must soon stall too: the proxy only holds its
            // write buffer and the sockets' buffers, far less than the 200 MiB on offer.
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(300)).until(new Callable<>() {
                private long previous = -1;

                @Override
                public Boolean call() {
                    long now = backend.bodyBytesWritten();
                    boolean stalled = now == previous;
                    previous = now;
                    return stalled;
                }
            });
            assertThat(backend.bodyBytesWritten()).isLessThan(48 * MIB);
            assertThat(PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory()).isLessThan(64 * MIB);

            // Reading again resumes the flow through to the last byte.
            while (read < BIG) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, BIG - read));
                assertThat(n).as("body ended early at %d", read).isPositive();
                digest.update(buffer, 0, n);
                read += n;
            }
            assertThat(HexFormat.of().formatHex(digest.digest())).isEqualTo(TestPattern.sha256(BIG));
        }
    }

    private static void skipHeaders(InputStream in) throws Exception {
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            assertThat(b).as("headers ended early").isNotNegative();
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
    }

    private static String digestOf(InputStream in, long expectedLength) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[256 * 1024];
        long total = 0;
        try (in) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
                total += n;
            }
        }
        assertThat(total).isEqualTo(expectedLength);
        return HexFormat.of().formatHex(digest.digest());
    }
}
