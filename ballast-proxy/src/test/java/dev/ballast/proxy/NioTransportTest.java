package dev.ballast.proxy;

import dev.ballast.core.pick.Policies;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import dev.ballast.proxy.testing.TestConfigs;
import dev.ballast.proxy.testing.TestPattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;

import static dev.ballast.proxy.testing.TestConfigs.endpoints;
import static dev.ballast.proxy.testing.TestConfigs.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/** The other tests run on epoll where it loads; these run the same data path on the JDK's NIO. */
class NioTransportTest {

    private TestBackend backend;
    private ProxyServer proxy;
    private InetSocketAddress address;

    @BeforeEach
    void start() {
        backend = TestBackend.named("nio");
        System.setProperty(Transport.PROPERTY, "nio");
        try {
            assertThat(Transport.best().name()).isEqualTo("nio");
            proxy = ProxyServer.start(TestConfigs.proxy(upstream("nio", Policies.ROUND_ROBIN, endpoints(backend))));
        } finally {
            System.clearProperty(Transport.PROPERTY);
        }
        address = proxy.listenerAddresses().get(0);
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    @Test
    void forwardsKeepAliveRequestsOverPooledConnections() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            for (int i = 0; i < 20; i++) {
                assertThat(raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").read().text()).isEqualTo("nio");
            }
        }
        assertThat(backend.connections()).isEqualTo(1);
    }

    @Test
    void streamsLargeBodiesBothWays() throws Exception {
        long size = 32L * 1024 * 1024;
        HttpClient client = HttpClient.newHttpClient();
        URI uri = URI.create("http://127.0.0.1:" + address.getPort() + "/");

        backend.respondWith(TestBackend.digestEcho());
        HttpResponse<String> upload = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> TestPattern.stream(size, () -> { }))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(upload.body()).isEqualTo(size + " " + TestPattern.sha256(size));

        backend.respondWith(backend.stream(size, false));
        HttpResponse<InputStream> download = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (InputStream in = download.body()) {
            byte[] buffer = new byte[128 * 1024];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        assertThat(HexFormat.of().formatHex(digest.digest())).isEqualTo(TestPattern.sha256(size));
    }
}
