package dev.ballast.proxy.upstream;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ballast.core.pick.EndpointSet;
import dev.ballast.core.state.EndpointState;
import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.admin.ReloadOutcome;
import dev.ballast.proxy.testing.AdminClient;
import dev.ballast.proxy.testing.ConfigFiles;
import dev.ballast.core.testing.TestTls;
import dev.ballast.discovery.etcd.testing.EtcdServer;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.Teardown;
import dev.ballast.proxy.testing.TestBackend;
import dev.ballast.proxy.testing.TestNames;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code discovery: { etcd: ... }} against a real etcd: the endpoints of an upstream are the keys under
 * a prefix, followed as services register, deregister and let their leases expire, and kept while
 * etcd is away.
 */
class EtcdDiscoveryTest {

    private static final String PREFIX = "/services/shop/";
    private static final Duration SETTLE = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    private final Teardown teardown = new Teardown();
    private EtcdServer etcd;
    private TestBackend a;
    private TestBackend b;
    private TestBackend c;
    private ProxyServer proxy;
    private AdminClient admin;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void startEtcdAndBackends() throws Exception {
        etcd = teardown.add(EtcdServer.started());
        a = teardown.add(TestBackend.named("a"));
        b = teardown.add(TestBackend.named("b"));
        c = teardown.add(TestBackend.named("c"));
    }

    @AfterEach
    void stop() throws Exception {
        teardown.close();
    }

    private void startProxy(String prefix) {
        startProxyWith(config(prefix, etcd.url()));
    }

    private void startProxyWith(String config) {
        Path file = dir.resolve("ballast.yaml");
        proxy = teardown.add(ProxyServer.start(ConfigFiles.write(file, config), file, false));
        admin = AdminClient.of(proxy.adminAddress());
    }

    /** Writes {@code config} over the proxy's file and reloads it; fails the test unless it applied. */
    private void reloadWith(String config) throws Exception {
        ConfigFiles.write(dir.resolve("ballast.yaml"), config);
        ReloadOutcome outcome = proxy.reload("test").get(10, TimeUnit.SECONDS);
        assertThat(outcome.applied()).as(outcome.toString()).isTrue();
    }

    private String config(String prefix) {
        return config(prefix, etcd.url());
    }

    private static String config(String prefix, String members) {
        return ConfigFiles.withLocalListeners("""
                etcd:
                  endpoints: [%s]
                  timeout: 2s
                upstreams:
                  shop:
                    discovery: { etcd: { prefix: %s } }
                routes:
                  - match: { path_prefix: / }
                    upstream: shop
                """.formatted(members, prefix));
    }

    private static String address(TestBackend backend) {
        return "127.0.0.1:" + backend.port();
    }

    /** The upstream's endpoints, as {@code /status} lists them. */
    private Set<String> members() throws Exception {
        Set<String> members = new HashSet<>();
        for (JsonNode endpoint : upstreamStatus().get("endpoints")) {
            members.add(endpoint.get("address").asText());
        }
        return members;
    }

    private JsonNode upstreamStatus() throws Exception {
        return json.readTree(admin.get("/status").body()).get("upstreams").get(0);
    }

    /** Which backends answer {@code count} requests in a row over one connection. */
    private Set<String> servedBy(int count) throws Exception {
        Set<String> names = new HashSet<>();
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            for (int i = 0; i < count; i++) {
                client.send("GET / HTTP/1.1\r\nHost: shop\r\n\r\n");
                RawHttp.Response response = client.read();
                assertThat(response.status()).as("request %d: %s", i, response.text()).isEqualTo(200);
                names.add(response.text());
            }
        }
        return names;
    }

    @Test
    void aReloadRetiresAnUpstreamWithoutWaitingForTheLookupOfANameItsEtcdPrefixLists() throws Exception {
        etcd.put(PREFIX + "a", address(a));
        startProxy(PREFIX);
        await().atMost(SETTLE).until(() -> members().contains(address(a)));

        try (TestNames.Hold lookup = TestNames.hold()) {
            etcd.put(PREFIX + "named", "named" + TestNames.HELD_SUFFIX + ":" + a.port());
            assertThat(lookup.lookupStarted(10)).as("the listed name is being looked up").isTrue();

            // Another prefix rebuilds the upstream: the one it replaces stops following etcd.
            ConfigFiles.write(dir.resolve("ballast.yaml"), config("/services/elsewhere/"));
            ReloadOutcome outcome = proxy.reload("test").get(5, TimeUnit.SECONDS);

            assertThat(outcome.applied()).as("applied while the lookup still waits").isTrue();
        }
    }

    @Test
    void aNameWhoseLookupIsSlowHoldsUpNeitherTheStartNorTheRestOfTheList() throws Exception {
        etcd.put(PREFIX + "a", address(a));
        etcd.put(PREFIX + "b", address(b));
        try (TestNames.Hold lookup = TestNames.hold()) {
            etcd.put(PREFIX + "named", "named" + TestNames.HELD_SUFFIX + ":" + c.port());
            startProxy(PREFIX);

            assertThat(lookup.lookupStarted(10)).isTrue();
            assertThat(members()).as("served while the name is looked up").containsExactlyInAnyOrder(address(a), address(b));
            assertThat(servedBy(10)).containsExactlyInAnyOrder("a", "b");

            etcd.delete(PREFIX + "a"); // a deletion is not held up either (the name stays held for 10 s)
            await().atMost(Duration.ofSeconds(5)).until(this::members, members -> !members.contains(address(a)));

            lookup.release();
            String named = "named" + TestNames.HELD_SUFFIX + ":" + c.port();
            await().atMost(SETTLE).until(this::members, members -> members.equals(Set.of(address(b), named)));
            assertThat(servedBy(20)).containsExactlyInAnyOrder("b", "c");
        }
    }

    @Test
    void aKeyDeletedAfterTheSlowNameWasDeletedTooLeavesAtOnceAndTheNameDoesNotJoinWhenItsLookupEnds()
            throws Exception {
        etcd.put(PREFIX + "a", address(a));
        etcd.put(PREFIX + "b", address(b));
        try (TestNames.Hold lookup = TestNames.hold()) {
            etcd.put(PREFIX + "named", "named" + TestNames.HELD_SUFFIX + ":" + c.port());
            startProxy(PREFIX);
            assertThat(lookup.lookupStarted(10)).isTrue();

            // Lists with no name left to look up: not held up behind the lookup of the one before.
            etcd.delete(PREFIX + "named");
            etcd.delete(PREFIX + "a");
            await().atMost(Duration.ofSeconds(5)).until(this::members, members -> members.equals(Set.of(address(b))));

            lookup.release();
            await().during(Duration.ofMillis(500)).atMost(SETTLE)
                    .until(this::members, members -> members.equals(Set.of(address(b))));
            assertThat(servedBy(10)).containsExactly("b");
        }
    }

    @Test
    void aListedNameThatDoesNotResolveIsSaidAsItJoinsNotAtTheNextRefresh() throws Exception {
        assertSaidOnceAsALateNameJoins("1h"); // within seconds, an hour before the refresh
    }

    @Test
    void aListedNameThatDoesNotResolveIsSaidOnceNotAgainAtEachRefresh() throws Exception {
        assertSaidOnceAsALateNameJoins("200ms");
    }

    /** Lists a name DNS does not have yet: one "cannot resolve" line about it, within 2 s, and no more. */
    private void assertSaidOnceAsALateNameJoins(String dnsRefresh) throws Exception {
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger upstreamLog = (Logger) LoggerFactory.getLogger(Upstream.class);
        Logger refreshLog = (Logger) LoggerFactory.getLogger(DnsRefresh.class);
        upstreamLog.addAppender(log);
        refreshLog.addAppender(log);
        try {
            etcd.put(PREFIX + "a", address(a));
            startProxyWith(config(PREFIX).replace("discovery:", "dns_refresh: " + dnsRefresh + "\n    discovery:"));
            String late = "late.ballast.test:" + b.port();

            etcd.put(PREFIX + "late", late);

            await().atMost(Duration.ofSeconds(5)).until(this::members, members -> members.contains(late));
            await().atMost(Duration.ofSeconds(2)).until(() -> cannotResolve(log, "late.ballast.test") > 0);
            // Refresh rounds at 200 ms: ten of them that keep quiet.
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                    .until(() -> cannotResolve(log, "late.ballast.test") == 1);
        } finally {
            upstreamLog.detachAppender(log);
            refreshLog.detachAppender(log);
        }
    }

    private static long cannotResolve(ListAppender<ILoggingEvent> log, String name) {
        return log.list.stream().map(ILoggingEvent::getFormattedMessage)
                .filter(message -> message.contains("cannot resolve " + name)).count();
    }

    @Test
    void routesToTheEndpointsUnderThePrefixAndFollowsThemAsTheyComeAndGo() throws Exception {
        etcd.put(PREFIX + "a", address(a));
        etcd.put(PREFIX + "b", "{\"address\": \"" + address(b) + "\", \"weight\": 3, \"zone\": \"z1\"}");
        etcd.put("/services/shop2/c", address(c)); // a sibling prefix: not this upstream's
        startProxy(PREFIX);

        assertThat(members()).as("read before the first request").containsExactlyInAnyOrder(address(a), address(b));
        assertThat(servedBy(40)).containsExactlyInAnyOrder("a", "b");
        JsonNode bStatus = null;
        for (JsonNode endpoint : upstreamStatus().get("endpoints")) {
            if (endpoint.get("address").asText().equals(address(b))) {
                bStatus = endpoint;
            }
        }
        assertThat(bStatus.get("weight").asInt()).isEqualTo(3);
        assertThat(bStatus.get("zone").asText()).isEqualTo("z1");
        assertThat(bStatus.at("/metadata/etcd_key").asText()).isEqualTo(PREFIX + "b");

        etcd.put(PREFIX + "c", address(c));
        await().atMost(SETTLE).until(this::members, members -> members.contains(address(c)));
        assertThat(servedBy(40)).containsExactlyInAnyOrder("a", "b", "c");

        etcd.delete(PREFIX + "a");
        await().atMost(SETTLE).until(this::members, members -> members.equals(Set.of(address(b), address(c))));
        assertThat(servedBy(40)).containsExactlyInAnyOrder("b", "c");

        JsonNode discovery = upstreamStatus().get("discovery");
        assertThat(discovery.get("source").asText()).isEqualTo("etcd:" + PREFIX);
        assertThat(discovery.get("connected").asBoolean()).isTrue();
        assertThat(discovery.get("keys").asInt()).isEqualTo(2);
        List<String> events = new ArrayList<>();
        for (JsonNode event : json.readTree(admin.get("/status").body()).get("events")) {
            if (event.get("kind").asText().equals("discovery")) {
                events.add(event.get("endpoint").asText() + " " + event.get("message").asText());
            }
        }
        assertThat(events).contains(address(c) + " joined: listed under etcd:" + PREFIX,
                address(a) + " left: no longer listed under etcd:" + PREFIX);
    }

    @Test
    void logsInToAnEtcdWithAuthenticationAndSaysSoWhenTheLoginIsWrong() throws Exception {
        etcd.enableAuthentication("root-password", "ballast", "reader password", PREFIX);
        etcd.put(PREFIX + "a", address(a));
        String withLogin = config(PREFIX).replace("  timeout: 2s\n",
                "  timeout: 2s\n  username: ballast\n  password: reader password\n");
        startProxyWith(withLogin);

        assertThat(members()).containsExactly(address(a));
        etcd.put(PREFIX + "b", address(b));
        await().atMost(SETTLE).until(this::members, members -> members.equals(Set.of(address(a), address(b))));
        assertThat(servedBy(20)).containsExactlyInAnyOrder("a", "b");
        assertThat(admin.get("/config").body()).contains("ballast").doesNotContain("reader password")
                .contains("\"password\" : \"<redacted>\"");

        // The same login with the password in a file: /config shows where the file is, never what it holds.
        Path passwordFile = Files.writeString(dir.resolve("etcd-password"), "reader password\n");
        reloadWith(withLogin.replace("password: reader password", "password_file: " + passwordFile));
        await().atMost(SETTLE).until(() -> admin.get("/config").body().contains(passwordFile.toString()));
        assertThat(admin.get("/config").body()).doesNotContain("reader password")
                .contains("\"password_file\" : \"" + passwordFile + "\"");
        assertThat(members()).containsExactlyInAnyOrder(address(a), address(b));

        // A wrong password: the reload applies (the endpoints read last stay), and /status says why.
        reloadWith(withLogin.replace("password: reader password", "password: a guess"));
        await().atMost(SETTLE).until(() -> upstreamStatus().at("/discovery/last_error").asText(""),
                error -> error.contains("cannot log in as 'ballast'") && error.contains("authentication failed"));
        assertThat(upstreamStatus().get("discovery").toString()).doesNotContain("a guess");
        assertThat(servedBy(20)).containsExactlyInAnyOrder("a", "b");
    }

    @Test
    void followsAnEtcdOverTlsThatAsksForAClientCertificate() throws Exception {
        TestTls tls = TestTls.in(dir.resolve("tls"));
        EtcdServer secure = teardown.add(EtcdServer.startedWithTls(tls, true));
        secure.put(PREFIX + "a", address(a));
        startProxyWith(config(PREFIX, secure.url()).replace("  timeout: 2s\n", """
                  timeout: 2s
                  tls: { ca_file: %s, cert_file: %s, key_file: %s }
                """.formatted(tls.ca(), tls.clientCert(), tls.clientKey())));

        assertThat(members()).containsExactly(address(a));
        secure.put(PREFIX + "b", address(b));
        await().atMost(SETTLE).until(this::members, members -> members.equals(Set.of(address(a), address(b))));
        assertThat(servedBy(20)).containsExactlyInAnyOrder("a", "b");
        assertThat(upstreamStatus().at("/discovery/connected").asBoolean()).isTrue();
        assertThat(admin.get("/config").body()).contains("\"ca_file\" : \"" + tls.ca() + "\"");
    }

    @Test
    void keepsItsEndpointsWhileEtcdIsDownAndFollowsChangesOnceItIsBack() throws Exception {
        etcd.put(PREFIX + "a", address(a));
        startProxy(PREFIX);
        await().atMost(SETTLE).until(this::members, members -> members.equals(Set.of(address(a))));

        assertThat(admin.metrics().value("ballast_discovery_connected", "upstream", "shop", "source", "etcd:" + PREFIX))
                .isEqualTo(1.0);
        assertThat(admin.metrics().value("ballast_discovery_keys", "upstream", "shop", "source", "etcd:" + PREFIX))
                .isEqualTo(1.0);

        etcd.stop();
        await().atMost(SETTLE).until(() -> !upstreamStatus().at("/discovery/connected").asBoolean());
        assertThat(upstreamStatus().at("/discovery/last_error").asText()).isNotEmpty();
        assertThat(admin.metrics().value("ballast_discovery_connected", "upstream", "shop", "source", "etcd:" + PREFIX))
                .as("for an alert").isEqualTo(0.0);
        assertThat(servedBy(20)).as("the endpoints read last stay in use").containsExactly("a");

        etcd.start();
        etcd.put(PREFIX + "b", address(b));
        await().atMost(SETTLE).until(this::members, members -> members.equals(Set.of(address(a), address(b))));
        assertThat(servedBy(40)).containsExactlyInAnyOrder("a", "b");
        assertThat(upstreamStatus().at("/discovery/connected").asBoolean()).isTrue();
    }

    @Test
    void aMemberThatHangsIsNoticedAndTheWatchResumesOnceItAnswers() throws Exception {
        etcd.put(PREFIX + "a", address(a));
        startProxy(PREFIX);
        assertThat(members()).containsExactly(address(a));

        etcd.freeze(); // the watch's connection stays open; only a liveness check can tell
        await().atMost(SETTLE).until(() -> !upstreamStatus().at("/discovery/connected").asBoolean());
        assertThat(upstreamStatus().at("/discovery/last_error").asText()).contains("liveness check");
        assertThat(servedBy(10)).as("the endpoints read last stay in use").containsExactly("a");

        etcd.thaw();
        etcd.put(PREFIX + "b", address(b));
        await().atMost(SETTLE).until(this::members, members -> members.equals(Set.of(address(a), address(b))));
    }

    @Test
    void aMemberThatRefusesOrNeverAnswersCostsNothingWhileAnotherAnswers() throws Exception {
        etcd.put(PREFIX + "a", address(a));
        int refusing;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            refusing = socket.getLocalPort(); // closed again: connecting to it is refused
        }
        // Listening but never accepting: a connect completes, and then nothing ever answers.
        try (ServerSocket silent = teardown.add(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()))) {
            startProxyWith(config(PREFIX, "http://127.0.0.1:" + silent.getLocalPort() + ", http://127.0.0.1:"
                    + refusing + ", " + etcd.url()));

            assertThat(members()).as("read from the member that answers, before the first request")
                    .containsExactly(address(a));
            assertThat(upstreamStatus().at("/discovery/member").asText()).isEqualTo(etcd.url());
            etcd.put(PREFIX + "b", address(b));
            await().atMost(SETTLE).until(this::members, members -> members.equals(Set.of(address(a), address(b))));
        }
    }

    @Test
    void aReloadThatRebuildsTheUpstreamWhileEtcdIsDownKeepsItsEndpoints() throws Exception {
        etcd.put(PREFIX + "a", address(a));
        startProxy(PREFIX);
        assertThat(members()).containsExactly(address(a));

        etcd.stop();
        // Another etcd timeout too: the cluster's settings change, the prefix stays.
        reloadWith(config(PREFIX).replace("discovery:", "response_timeout: 7s\n    discovery:")
                .replace("timeout: 2s", "timeout: 3s"));
        assertThat(json.readTree(admin.get("/config").body()).at("/upstreams/shop/response_timeout_millis").asLong())
                .as("rebuilt").isEqualTo(7_000);
        assertThat(servedBy(10)).as("handed on by the upstream it replaced").containsExactly("a");
        assertThat(members()).containsExactly(address(a));
        JsonNode discovery = json.readTree(admin.get("/status").body()).at("/upstreams/0/discovery");
        assertThat(discovery.get("keys").asInt()).as("what the replaced upstream read: %s", discovery).isEqualTo(1);
        assertThat(discovery.get("revision").asLong()).isPositive();
        assertThat(discovery.get("connected").asBoolean()).isFalse();
        reloadWith(config(PREFIX).replace("discovery:", "response_timeout: 8s\n    discovery:")
                .replace("timeout: 2s", "timeout: 3s"));
        assertThat(json.readTree(admin.get("/status").body()).at("/upstreams/0/discovery/keys").asInt())
                .as("rebuilt twice while etcd is down").isEqualTo(1);

        etcd.start();
        etcd.put(PREFIX + "b", address(b));
        await().atMost(SETTLE).until(this::members, members -> members.equals(Set.of(address(a), address(b))));
    }

    @Test
    void aReloadThatChangesTheBalancerKeepsTheWatchAndItsEndpoints() throws Exception {
        etcd.put(PREFIX + "a", address(a));
        etcd.put(PREFIX + "b", address(b));
        startProxy(PREFIX);
        reloadWith(config(PREFIX).replace("discovery:", "balancer: least-request\n    discovery:"));

        assertThat(upstreamStatus().get("balancer").asText()).isEqualTo("least-request");
        assertThat(members()).containsExactlyInAnyOrder(address(a), address(b));
        assertThat(servedBy(30)).containsExactlyInAnyOrder("a", "b");
        etcd.put(PREFIX + "c", address(c));
        await().atMost(SETTLE).until(this::members, members -> members.contains(address(c)));
    }

    @Test
    void startsWithoutEtcdAndTakesTheEndpointsOnceItAnswers() throws Exception {
        etcd.stop();
        startProxy(PREFIX); // waits the 2 s timeout for a first read, then serves without it
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            client.send("GET / HTTP/1.1\r\nHost: shop\r\n\r\n");
            assertThat(client.read().status()).as("no endpoint yet").isEqualTo(503);
        }

        etcd.start();
        etcd.put(PREFIX + "a", address(a));
        await().atMost(SETTLE).until(this::members, members -> members.equals(Set.of(address(a))));
        assertThat(servedBy(10)).containsExactly("a");
    }

    @Test
    void aServiceRegisteredByHostNameIsReachedAtTheAddressItsNameResolvesTo() throws Exception {
        Path hosts = TestNames.hostsFile();
        assumeTrue(hosts != null, "names resolve from a test hosts file (the pom's argLine sets it)");
        String before = Files.readString(hosts);
        try {
            Files.writeString(hosts, before + "127.0.0.1 shop-a.ballast.test\n");
            etcd.put(PREFIX + "a", "shop-a.ballast.test:" + a.port());
            startProxy(PREFIX);
            // It joins once looked up, which the start does not wait for (see the test of a slow name).
            await().atMost(SETTLE).until(this::members, members -> members.equals(Set.of("shop-a.ballast.test:" + a.port())));
            assertThat(servedBy(10)).containsExactly("a");
        } finally {
            Files.writeString(hosts, before);
        }
    }

    @Test
    void aServiceThatComesBackUnderItsNameIsReachedWhereItsNameResolvesNowNotWhereItWas() throws Exception {
        Path hosts = TestNames.hostsFile();
        assumeTrue(hosts != null, "names resolve from a test hosts file (the pom's argLine sets it)");
        TestBackend moved;
        try {
            moved = teardown.add(TestBackend.at("moved", "127.0.0.2", a.port()));
        } catch (RuntimeException e) {
            assumeTrue(false, "127.0.0.2 is a loopback address (Linux: all of 127/8)");
            return;
        }
        String before = Files.readString(hosts);
        String name = "shop-0.ballast.test:" + a.port();
        try {
            Files.writeString(hosts, before + "127.0.0.1 shop-0.ballast.test\n");
            etcd.put(PREFIX + "0", name);
            // No DNS refresh: only discovery's own lookups can say where the name points.
            startProxyWith(config(PREFIX).replace("    discovery:", "    dns_refresh: 0\n    discovery:"));
            // A listed name joins once looked up, which the start does not wait for (see the test of a slow name).
            await().atMost(SETTLE).until(() -> members().contains(name));
            assertThat(servedBy(4)).containsExactly("a");

            etcd.delete(PREFIX + "0"); // the pod goes away ...
            await().atMost(SETTLE).until(() -> members().isEmpty());
            Files.writeString(hosts, before + "127.0.0.2 shop-0.ballast.test\n"); // ... and comes back elsewhere
            etcd.put(PREFIX + "0", name);

            await().atMost(SETTLE).until(() -> members().contains(name));
            assertThat(servedBy(4)).containsExactly("moved");
            assertThat(moved.requests()).isNotEmpty();
        } finally {
            Files.writeString(hosts, before);
        }
    }

    @Test
    void aDiscoveredAddressThatDiffersFromAConfiguredOneOnlyInCaseIsTheConfiguredEndpoint() throws Exception {
        etcd.put(PREFIX + "a", "localhost:" + a.port());
        etcd.put(PREFIX + "b", address(b));
        startProxyWith(config(PREFIX).replace("discovery:", "endpoints: [LocalHost:" + a.port() + "]\n    discovery:"));

        await().atMost(SETTLE).until(this::members, members -> members.equals(Set.of("LocalHost:" + a.port(), address(b))));
    }

    @Test
    void aServiceWhoseLeaseExpiresLeavesTheUpstream() throws Exception {
        long lease = etcd.grantLease(6); // long enough for the proxy to start and read a first
        etcd.put(PREFIX + "a", address(a), lease);
        etcd.put(PREFIX + "b", address(b));
        startProxy(PREFIX);
        await().atMost(SETTLE).until(this::members, members -> members.equals(Set.of(address(a), address(b))));

        // The lease runs out: a leaves, b stays.
        await().atMost(SETTLE).until(this::members, members -> members.equals(Set.of(address(b))));
        assertThat(servedBy(20)).containsExactly("b");
    }

    @Test
    void aValueThatIsNotAnEndpointIsLeftOutAndTheOthersServe() throws Exception {
        etcd.put(PREFIX + "a", address(a));
        etcd.put(PREFIX + "bad-address", "not an address");
        etcd.put(PREFIX + "bad-weight", "{\"address\": \"" + address(b) + "\", \"weight\": 0}");
        etcd.put(PREFIX + "go-naming", "{\"Op\": 0, \"Addr\": \"" + address(c) + "\", \"Metadata\": null}");
        startProxy(PREFIX);

        await().atMost(SETTLE).until(this::members, members -> members.equals(Set.of(address(a), address(c))));
        assertThat(servedBy(30)).containsExactlyInAnyOrder("a", "c");

        etcd.put(PREFIX + "bad-weight", "{\"address\": \"" + address(b) + "\", \"weight\": 2}");
        await().atMost(SETTLE).until(this::members, members -> members.contains(address(b)));
    }

    @Test
    void theEndpointsOfTheStartConfiguredOrReadFirstFromEtcdStartAtFullWeightAndLaterOnesRampUp() throws Exception {
        etcd.put(PREFIX + "b", address(b));
        // A long etcd.timeout: the start waits for the first read however slowly etcd answers it.
        startProxyWith(config(PREFIX).replace("timeout: 2s", "timeout: 20s").replace("discovery:", """
                balancer: weighted-round-robin
                    slow_start: 60s
                    endpoints: [%s]
                    discovery:""".formatted(address(a))));

        assertThat(members()).as("the first read, awaited by the start").containsExactlyInAnyOrder(address(a), address(b));
        assertThat(stateOf(a).rampExempt()).as("configured").isTrue();
        assertThat(stateOf(b).rampExempt()).as("listed by etcd at start").isTrue();
        assertThat(weightOf(b)).isEqualTo(weightOf(a));

        etcd.put(PREFIX + "c", address(c));
        await().atMost(SETTLE).until(this::members, members -> members.contains(address(c)));
        assertThat(stateOf(c).rampExempt()).as("listed after the start: it ramps up").isFalse();
        assertThat(weightOf(c)).isLessThan(weightOf(a));
        assertThat(weightOf(b)).isEqualTo(weightOf(a));
    }

    @Test
    void aNameListedAtStartIsAFirstMemberWhenItsLookupEndsAfterTheStartAndTheProxyIsReadyOnlyThen()
            throws Exception {
        etcd.put(PREFIX + "b", address(b));
        String named = "named" + TestNames.HELD_SUFFIX + ":" + c.port();
        try (TestNames.Hold lookup = TestNames.hold()) {
            etcd.put(PREFIX + "named", named);
            startProxyWith(config(PREFIX).replace("timeout: 2s", "timeout: 20s").replace("discovery:", """
                    balancer: weighted-round-robin
                        slow_start: 60s
                        discovery:"""));
            assertThat(lookup.lookupStarted(10)).isTrue();
            assertThat(members()).as("served while the name is looked up").containsExactly(address(b));
            assertThat(admin.get("/ready").statusCode()).as("a name etcd listed at start is still looked up")
                    .isEqualTo(503);

            lookup.release();
            await().atMost(SETTLE).until(this::members, members -> members.contains(named));
            await().atMost(Duration.ofSeconds(5)).until(() -> admin.get("/ready").statusCode() == 200);
            EndpointState joined = proxy.upstreams().get("shop").balancer().registry().get(named);
            assertThat(joined.rampExempt()).as("listed at start: no ramp, however late its lookup").isTrue();

            etcd.put(PREFIX + "a", address(a)); // after the start: ramps up, and readiness stays
            await().atMost(SETTLE).until(this::members, members -> members.contains(address(a)));
            assertThat(stateOf(a).rampExempt()).isFalse();
            assertThat(admin.get("/ready").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aNameThatARebuiltUpstreamsFirstReadListsRampsUpAsItsOtherNewMembersDo() throws Exception {
        String slowStart = """
                balancer: weighted-round-robin
                    slow_start: 60s
                    discovery:""";
        etcd.put(PREFIX + "b", address(b));
        etcd.put("/services/next/c", address(c));
        String named = "named" + TestNames.HELD_SUFFIX + ":" + a.port();
        etcd.put("/services/next/named", named);
        startProxyWith(config(PREFIX).replace("discovery:", slowStart));
        try (TestNames.Hold lookup = TestNames.hold()) {
            reloadWith(config("/services/next/").replace("discovery:", slowStart)); // another prefix: a rebuild
            assertThat(lookup.lookupStarted(10)).isTrue();
            lookup.release();

            await().atMost(SETTLE).until(this::members, members -> members.contains(named));
            assertThat(stateOf(c).rampExempt()).as("new to the upstream it replaced").isFalse();
            assertThat(proxy.upstreams().get("shop").balancer().registry().get(named).rampExempt())
                    .as("as c, however late its lookup").isFalse();
        }
    }

    @Test
    void aReloadThatAddsAnUpstreamWhoseNamesAreStillLookedUpLeavesAReadyProxyReady() throws Exception {
        String named = "named" + TestNames.HELD_SUFFIX + ":" + c.port();
        etcd.put(PREFIX + "named", named);
        startProxyWith(ConfigFiles.withLocalListeners("""
                upstreams:
                  shop:
                    endpoints: [%s]
                routes:
                  - match: { path_prefix: / }
                    upstream: shop
                """.formatted(address(a)))); // and nobody asks /ready before the reload
        try (TestNames.Hold lookup = TestNames.hold()) {
            reloadWith(config(PREFIX));
            assertThat(lookup.lookupStarted(10)).isTrue();

            assertThat(admin.get("/ready").statusCode()).as("only the start's upstreams count").isEqualTo(200);
        }
    }

    @Test
    void readinessWaitsForTheNamesOfTheFirstReadNoLongerThanEtcdTimeout() throws Exception {
        etcd.put(PREFIX + "b", address(b));
        try (TestNames.Hold lookup = TestNames.hold()) { // 10 s unless released
            etcd.put(PREFIX + "named", "named" + TestNames.HELD_SUFFIX + ":" + c.port());
            startProxyWith(config(PREFIX).replace("timeout: 2s", "timeout: 1s"));
            assertThat(lookup.lookupStarted(10)).isTrue();

            await().atMost(Duration.ofSeconds(5)).until(() -> admin.get("/ready").statusCode() == 200);
            assertThat(members()).as("the name is still being looked up").containsExactly(address(b));
        }
    }

    private EndpointState stateOf(TestBackend backend) {
        return proxy.upstreams().get("shop").balancer().registry().get(address(backend));
    }

    /** The weight {@code backend} has in the balancer now: its share so far, while it ramps up. */
    private int weightOf(TestBackend backend) {
        EndpointSet set = proxy.upstreams().get("shop").balancer().endpoints();
        return set.weight(set.indexOf(stateOf(backend)));
    }

    @Test
    void configuredEndpointsServeWithTheDiscoveredOnesAndAReloadFollowsAnotherPrefix() throws Exception {
        etcd.put(PREFIX + "b", address(b));
        etcd.put("/services/next/c", address(c));
        startProxyWith(config(PREFIX).replace("discovery:", "endpoints: [" + address(a) + "]\n    discovery:"));
        await().atMost(SETTLE).until(this::members, members -> members.equals(Set.of(address(a), address(b))));

        reloadWith(config("/services/next/"));
        assertThat(servedBy(20)).as("the new prefix, read before the reload took effect").containsExactly("c");
        assertThat(members()).containsExactly(address(c));
        assertThat(json.readTree(admin.get("/config").body()).at("/upstreams/shop/discovery/prefix").asText())
                .isEqualTo("/services/next/");
    }
}
