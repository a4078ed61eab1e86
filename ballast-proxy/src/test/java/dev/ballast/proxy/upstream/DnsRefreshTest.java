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
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code dns_refresh}: an endpoint given by host name follows its name to a new address. Names resolve
 * through the JDK's hosts-file resolver ({@code jdk.net.hosts.file}, set for the tests in the pom, no
 * JDK cache), so the test moves a name between two loopback addresses by rewriting that file.
 */
class DnsRefreshTest {

    private static final String NAME = "svc.ballast.test";
    /** What src/test/resources/hosts holds; each test writes the whole file, so a killed run leaves nothing behind. */
    private static final String BASE_HOSTS = "127.0.0.1 localhost\n::1 localhost ip6-localhost\n";

    private Path hosts;
    private TestBackend first;
    private TestBackend second;
    private ProxyServer proxy;

    @BeforeEach
    void start() throws IOException {
        String file = System.getProperty("jdk.net.hosts.file");
        assumeTrue(file != null, "names resolve from a test hosts file (the pom's argLine sets it)");
        hosts = Path.of(file);
        first = TestBackend.named("first");
        second = secondLoopbackAddress(first.port()); // the same port, another address
        assumeTrue(second != null, "127.0.0.2 is a loopback address (Linux: all of 127/8; not macOS by default)");
    }

    private void startProxy() {
        Endpoint byName = Endpoint.of(NAME, first.port());
        proxy = ProxyServer.start(TestConfigs.proxy(
                TestConfigs.upstream("svc", Policies.ROUND_ROBIN, List.of(byName)).withDnsRefresh(100)));
    }

    @AfterEach
    void stop() throws IOException {
        if (hosts != null) {
            Files.writeString(hosts, BASE_HOSTS);
        }
        if (proxy != null) {
            proxy.close();
        }
        if (first != null) {
            first.close();
        }
        if (second != null) {
            second.close();
        }
    }

    private static TestBackend secondLoopbackAddress(int port) {
        try {
            return TestBackend.at("second", "127.0.0.2", port);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The name's addresses, in the order a lookup returns them; none: it does not resolve. */
    private void pointNameAt(String... ips) throws IOException {
        StringBuilder file = new StringBuilder(BASE_HOSTS);
        for (String ip : ips) {
            file.append(ip).append(' ').append(NAME).append('\n');
        }
        Files.writeString(hosts, file);
    }

    private String get() throws IOException {
        try (RawHttp raw = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            return raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").read().text();
        }
    }

    @Test
    void followsTheEndpointsNameToItsNewAddressAndClosesConnectionsToTheOld() throws Exception {
        pointNameAt("127.0.0.1");
        startProxy();
        assertThat(get()).isEqualTo("first");
        assertThat(first.openConnections()).as("a pooled connection to the first address").isEqualTo(1);

        pointNameAt("127.0.0.2");

        await().atMost(Duration.ofSeconds(10)).until(() -> get().equals("second"));
        // Every event loop drops its idle connection to the old address; from then on only the new one serves.
        await().atMost(Duration.ofSeconds(10)).until(() -> first.openConnections() == 0);
        for (int i = 0; i < 4; i++) {
            assertThat(get()).isEqualTo("second");
        }
        assertThat(proxy.upstreams().get("svc").addressOf(proxy.upstreams().get("svc").balancer().members().get(0)))
                .isEqualTo(new InetSocketAddress("127.0.0.2", first.port()));
    }

    @Test
    void keepsTheLastAddressWhileTheNameDoesNotResolve() throws Exception {
        pointNameAt("127.0.0.1");
        startProxy();
        assertThat(get()).isEqualTo("first");

        pointNameAt();
        // Several refresh periods with the name gone: requests still reach the last address.
        long until = System.nanoTime() + Duration.ofMillis(500).toNanos();
        while (System.nanoTime() < until) {
            assertThat(get()).isEqualTo("first");
        }

        pointNameAt("127.0.0.2");
        await().atMost(Duration.ofSeconds(10)).until(() -> get().equals("second"));
    }

    @Test
    void keepsTheAddressInUseWhileTheNameStillListsItInAnyOrder() throws Exception {
        pointNameAt("127.0.0.1", "127.0.0.2");
        startProxy();
        for (int i = 0; i < 4; i++) { // every event loop gets its pooled connection
            assertThat(get()).isEqualTo("first");
        }
        int connections = first.connections();

        pointNameAt("127.0.0.2", "127.0.0.1"); // round-robin DNS: the answer order rotates
        long until = System.nanoTime() + Duration.ofMillis(500).toNanos();
        while (System.nanoTime() < until) {
            assertThat(get()).isEqualTo("first");
        }
        assertThat(first.connections()).as("no connection churn").isEqualTo(connections);

        pointNameAt("127.0.0.2");
        await().atMost(Duration.ofSeconds(10)).until(() -> get().equals("second"));
    }

    @Test
    void startsWithANameThatDoesNotResolveYetAndServesOnceItDoes() throws Exception {
        pointNameAt();
        startProxy();
        try (RawHttp raw = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            RawHttp.Response response = raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").read();
            assertThat(response.status()).as("fails at once, without a lookup on the event loop").isEqualTo(502);
        }

        pointNameAt("127.0.0.2");
        await().atMost(Duration.ofSeconds(10)).until(() -> get().equals("second"));
    }
}
