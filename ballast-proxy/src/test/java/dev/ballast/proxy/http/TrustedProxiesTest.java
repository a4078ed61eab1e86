package dev.ballast.proxy.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.testing.AdminClient;
import dev.ballast.proxy.testing.ConfigFiles;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Behind a TLS terminator or a cloud load balancer, the scheme and host the client asked that proxy for
 * reach the service: {@code trusted_proxies} keeps the forwarding headers of the proxies it names, and
 * only theirs.
 */
class TrustedProxiesTest {

    private static final String FORWARDED_BY_A_TERMINATOR = "X-Forwarded-For: 203.0.113.7\r\n"
            + "X-Forwarded-Proto: https\r\nX-Forwarded-Host: shop.example.com\r\nX-Forwarded-Port: 443\r\n"
            + "Forwarded: for=203.0.113.7;proto=https\r\nX-Real-IP: 203.0.113.7\r\n";
    private static final List<String> KEPT_FROM_A_TRUSTED_PROXY = List.of("forwarded", "x-forwarded-port", "x-real-ip");

    @TempDir
    Path dir;
    private final TestBackend backend = TestBackend.named("shop");
    private ProxyServer proxy;

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        backend.close();
    }

    private String yaml(String trusted) {
        return ConfigFiles.withLocalListeners("""
                trusted_proxies: %s
                upstreams:
                  shop:
                    endpoints: [%s]
                routes:
                  - match: { path_prefix: / }
                    upstream: shop
                """.formatted(trusted, backend.address()));
    }

    private TestBackend.Recorded send(RawHttp client, String headers) throws Exception {
        client.send("GET / HTTP/1.1\r\nHost: internal-lb:8080\r\n" + headers + "\r\n");
        assertThat(client.read().status()).isEqualTo(200);
        return backend.lastRequest();
    }

    @Test
    void aTrustedProxysSchemeHostAndForwardingHeadersReachTheServiceAndTheClientAddressIsAppended() throws Exception {
        Path file = dir.resolve("ballast.yaml");
        proxy = ProxyServer.start(ConfigFiles.write(file, yaml("[10.0.0.0/8, 127.0.0.0/8, \"fd00::/8\"]")), file, false);
        assertThat(new ObjectMapper().readTree(AdminClient.of(proxy.adminAddress()).get("/config").body())
                .get("trusted_proxies").toString()).as("GET /config lists them as the file does")
                .isEqualTo("[\"10.0.0.0/8\",\"127.0.0.0/8\",\"fd00::/8\"]");

        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            TestBackend.Recorded forwarded = send(client, FORWARDED_BY_A_TERMINATOR);
            assertThat(forwarded.headers().get("X-Forwarded-Proto")).isEqualTo("https");
            assertThat(forwarded.headers().get("X-Forwarded-Host")).isEqualTo("shop.example.com");
            assertThat(forwarded.headers().get("X-Forwarded-For")).isEqualTo("203.0.113.7, 127.0.0.1");
            assertThat(KEPT_FROM_A_TRUSTED_PROXY).allSatisfy(name ->
                    assertThat(forwarded.headers().contains(name)).as(name).isTrue());

            TestBackend.Recorded direct = send(client, ""); // the trusted proxy's own request: ours are set
            assertThat(direct.headers().get("X-Forwarded-Proto")).isEqualTo("http");
            assertThat(direct.headers().get("X-Forwarded-Host")).isEqualTo("internal-lb:8080");
            assertThat(direct.headers().get("X-Forwarded-For")).isEqualTo("127.0.0.1");
        }
    }

    @Test
    void theAccessLogNamesTheClientATrustedProxyForwardedForAndTheServiceGetsTheProxysAddressAppended()
            throws Exception {
        Path file = dir.resolve("ballast.yaml");
        Path log = dir.resolve("access.log");
        proxy = ProxyServer.start(ConfigFiles.write(file, yaml("[127.0.0.1]") + "access_log: { enabled: true, path: " + log + " }\n"),
                file, false);

        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            TestBackend.Recorded forwarded = send(client, "X-Forwarded-For: 198.51.100.9, 203.0.113.7\r\n");
            assertThat(forwarded.headers().get("X-Forwarded-For")).isEqualTo("198.51.100.9, 203.0.113.7, 127.0.0.1");
        }
        proxy.close();
        proxy = null; // the access log is flushed and closed

        String line = java.nio.file.Files.readAllLines(log).get(0);
        assertThat(new ObjectMapper().readTree(line).get("client").asText())
                .isEqualTo("203.0.113.7");
    }

    @Test
    void aClientOutsideTheRangesCannotNameAnotherClientForTheAccessLogOrHashing() throws Exception {
        Path file = dir.resolve("ballast.yaml");
        Path log = dir.resolve("access.log");
        proxy = ProxyServer.start(ConfigFiles.write(file, yaml("[10.0.0.0/8]") + "access_log: { enabled: true, path: "
                + log + " }\n"), file, false);

        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            send(client, "X-Forwarded-For: 203.0.113.7\r\n");
        }
        proxy.close();
        proxy = null;

        String line = java.nio.file.Files.readAllLines(log).get(0);
        assertThat(new ObjectMapper().readTree(line).get("client").asText()).isEqualTo("127.0.0.1");
    }

    @Test
    void aClientOutsideTheRangesCannotClaimASchemeOrHostAndAReloadThatDropsTheTrustAppliesToOpenConnections()
            throws Exception {
        Path file = dir.resolve("ballast.yaml");
        proxy = ProxyServer.start(ConfigFiles.write(file, yaml("[127.0.0.1]")), file, false);

        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            assertThat(send(client, FORWARDED_BY_A_TERMINATOR).headers().get("X-Forwarded-Proto")).isEqualTo("https");

            ConfigFiles.write(file, yaml("[10.0.0.0/8]"));
            assertThat(proxy.reload("test").get(10, TimeUnit.SECONDS).applied()).isTrue();

            TestBackend.Recorded forged = send(client, FORWARDED_BY_A_TERMINATOR);
            assertThat(forged.headers().get("X-Forwarded-Proto")).isEqualTo("http");
            assertThat(forged.headers().get("X-Forwarded-Host")).isEqualTo("internal-lb:8080");
            assertThat(forged.headers().get("X-Forwarded-For")).as("appended, as from any client")
                    .isEqualTo("203.0.113.7, 127.0.0.1");
            assertThat(KEPT_FROM_A_TRUSTED_PROXY).allSatisfy(name ->
                    assertThat(forged.headers().contains(name)).as(name).isFalse());
        }
    }
}
