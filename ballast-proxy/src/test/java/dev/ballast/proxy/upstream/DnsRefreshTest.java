package dev.ballast.proxy.upstream;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.pick.Policies;
import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import dev.ballast.proxy.testing.TestConfigs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code dns_refresh}: an endpoint given by host name follows its name to a new address. Names resolve
 * through the JDK's hosts-file resolver ({@code jdk.net.hosts.file}, set for the tests in the pom, no
 * JDK cache), so the test moves a name between two loopback addresses by rewriting that file.
 */
class DnsRefreshTest {

    private static final String NAME = "svc.ballast.test";
    private static final Path HOSTS = Path.of(System.getProperty("jdk.net.hosts.file"));

    private String originalHosts;
    private TestBackend first;
    private TestBackend second;
    private ProxyServer proxy;

    @BeforeEach
    void start() throws IOException {
        originalHosts = Files.readString(HOSTS);
        first = TestBackend.named("first");
        second = TestBackend.at("second", "127.0.0.2", first.port()); // the same port, another address
        pointNameAt("127.0.0.1");
        Endpoint byName = Endpoint.of(NAME, first.port());
        proxy = ProxyServer.start(TestConfigs.proxy(
                TestConfigs.upstream("svc", Policies.ROUND_ROBIN, List.of(byName)).withDnsRefresh(100)));
    }

    @AfterEach
    void stop() throws IOException {
        Files.writeString(HOSTS, originalHosts);
        if (proxy != null) {
            proxy.close();
        }
        first.close();
        second.close();
    }

    private void pointNameAt(String ip) throws IOException {
        Files.writeString(HOSTS, originalHosts + (ip == null ? "" : ip + " " + NAME + "\n"));
    }

    private String get() throws IOException {
        try (RawHttp raw = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            return raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").read().text();
        }
    }

    @Test
    void followsTheEndpointsNameToItsNewAddressAndClosesConnectionsToTheOld() throws Exception {
        assertThat(get()).isEqualTo("first");
        assertThat(first.openConnections()).as("a pooled connection to the first address").isEqualTo(1);

        pointNameAt("127.0.0.2");

        await().atMost(Duration.ofSeconds(10)).until(() -> get().equals("second"));
        assertThat(get()).isEqualTo("second");
        await().atMost(Duration.ofSeconds(10)).until(() -> first.openConnections() == 0);
        assertThat(proxy.upstreams().get("svc").addressOf(proxy.upstreams().get("svc").balancer().members().get(0)))
                .isEqualTo(new InetSocketAddress("127.0.0.2", first.port()));
    }

    @Test
    void keepsTheLastAddressWhileTheNameDoesNotResolve() throws Exception {
        assertThat(get()).isEqualTo("first");

        pointNameAt(null);
        // Several refresh periods with the name gone: requests still reach the last address.
        long until = System.nanoTime() + Duration.ofMillis(500).toNanos();
        while (System.nanoTime() < until) {
            assertThat(get()).isEqualTo("first");
        }

        pointNameAt("127.0.0.2");
        await().atMost(Duration.ofSeconds(10)).until(() -> get().equals("second"));
    }
}
