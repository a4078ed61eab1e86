package dev.ballast.proxy.upstream;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.pick.Policies;
import dev.ballast.core.state.EndpointState;
import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.admin.ReloadOutcome;
import dev.ballast.proxy.testing.AdminClient;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import dev.ballast.proxy.testing.TestConfigs;
import dev.ballast.proxy.testing.TestNames;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code dns_refresh}: an endpoint given by host name follows its name to a new address. Names resolve
 * through the tests' resolver, from a hosts file ({@link TestNames}, set for the tests in the pom, no
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
        hosts = TestNames.hostsFile();
        assumeTrue(hosts != null, "names resolve from a test hosts file (the pom's argLine sets it)");
        first = TestBackend.named("first");
        second = secondLoopbackAddress(first.port()); // the same port, another address
        assumeTrue(second != null, "127.0.0.2 is a loopback address (Linux: all of 127/8; not macOS by default)");
    }

    private void startProxy() {
        Endpoint byName = Endpoint.of(NAME, first.port());
        proxy = ProxyServer.start(TestConfigs.proxy(
                TestConfigs.upstream("svc", Policies.ROUND_ROBIN, List.of(byName)).withDnsRefresh(100)));
    }

    /** The proxy with the name's endpoint marked {@code resolve: all}. */
    private void startProxyResolvingAll() {
        Endpoint byName = Endpoint.of(NAME, first.port()).withWeight(3);
        proxy = ProxyServer.start(TestConfigs.proxy(TestConfigs.upstream("svc", Policies.ROUND_ROBIN, List.of(byName))
                .withDnsRefresh(100).withResolveAll(Set.of(byName.address()))));
    }

    private List<EndpointState> members() {
        return proxy.upstreams().get("svc").balancer().members();
    }

    private List<String> memberAddresses() {
        return members().stream().map(EndpointState::address).toList();
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
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(events()).as("an event in /status")
                .contains("dns svc " + NAME + ":" + first.port()
                        + ": moved to 127.0.0.2: the name no longer lists 127.0.0.1"));
    }

    /** The /status events, each as "kind upstream endpoint: message". */
    private List<String> events() throws Exception {
        List<String> events = new java.util.ArrayList<>();
        for (var event : new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(AdminClient.of(proxy.adminAddress()).get("/status").body()).get("events")) {
            events.add(event.get("kind").asText() + " " + event.get("upstream").asText() + " "
                    + event.get("endpoint").asText() + ": " + event.get("message").asText());
        }
        return events;
    }

    @Test
    void aNameWhoseResolverDoesNotAnswerHoldsUpNoOtherNamesMove() throws Exception {
        pointNameAt("127.0.0.1");
        Endpoint slow = Endpoint.of("slow" + TestNames.HELD_SUFFIX, first.port()); // resolves at once until held
        proxy = ProxyServer.start(TestConfigs.proxy(TestConfigs.upstream("svc", Policies.ROUND_ROBIN,
                List.of(Endpoint.of(NAME, first.port()), slow)).withDnsRefresh(100)));
        Upstream svc = proxy.upstreams().get("svc");
        EndpointState byName = svc.balancer().registry().get(NAME + ":" + first.port());

        try (TestNames.Hold resolver = TestNames.hold()) { // from now on the slow name's lookups take 10 s
            pointNameAt("127.0.0.2");

            await().atMost(Duration.ofSeconds(5)).until(() -> svc.addressOf(byName)
                    .equals(new InetSocketAddress("127.0.0.2", first.port())));
            assertThat(resolver.lookupStarted(1)).as("the slow name was being looked up meanwhile").isTrue();
        }
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
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(events())
                .contains("dns svc " + NAME + ":" + first.port() + ": resolved to 127.0.0.2"));
    }

    @Test
    void resolveAllMakesEveryAddressOfTheNameAnEndpointOfItsOwn() throws Exception {
        pointNameAt("127.0.0.1", "127.0.0.2");
        startProxyResolvingAll();

        assertThat(memberAddresses()).containsExactly("127.0.0.1:" + first.port(), "127.0.0.2:" + first.port());
        for (EndpointState member : members()) {
            assertThat(member.endpoint().weight()).as("the endpoint's weight").isEqualTo(3);
            assertThat(member.endpoint().metadata()).containsEntry("dns_name", NAME);
        }
        assertThat(AdminClient.of(proxy.adminAddress()).get("/status").body()).as("shown in /status")
                .contains("\"dns_name\"").contains(NAME);
        Set<String> answers = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            answers.add(get());
        }
        assertThat(answers).as("round-robin over both addresses").containsExactlyInAnyOrder("first", "second");
    }

    @Test
    void resolveAllFollowsTheNamesAddressesAsTheyComeAndGo() throws Exception {
        pointNameAt("127.0.0.1", "127.0.0.2");
        startProxyResolvingAll();
        EndpointState kept = members().get(1);
        for (int i = 0; i < 4; i++) { // both addresses get pooled connections
            get();
        }

        AdminClient admin = AdminClient.of(proxy.adminAddress());
        String leaving = "\"127.0.0.1:" + first.port() + "\"";
        assertThat(admin.get("/metrics").body()).contains(leaving);

        pointNameAt("127.0.0.2");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> memberAddresses().equals(List.of("127.0.0.2:" + first.port())));
        assertThat(members().get(0)).as("the address that stays keeps its state").isSameAs(kept);
        await().atMost(Duration.ofSeconds(10)).until(() -> first.openConnections() == 0);
        // The series are forgotten on the control thread just after the members change.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(admin.get("/metrics").body())
                .as("the series of the address that left are gone").doesNotContain(leaving));
        for (int i = 0; i < 4; i++) {
            assertThat(get()).isEqualTo("second");
        }

        pointNameAt("127.0.0.2", "127.0.0.1");
        await().atMost(Duration.ofSeconds(10)).until(() -> members().size() == 2);
        assertThat(members()).as("the address that stayed is the same member").contains(kept);
        await().atMost(Duration.ofSeconds(10)).until(() -> get().equals("first"));
        String name = NAME + ":" + first.port();
        String address = "127.0.0.1:" + first.port();
        // Recorded on the control thread just after the members change.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(events())
                .as("both changes are /status events, the address that stayed in neither")
                .filteredOn(event -> event.startsWith("dns ")).containsExactly(
                        "dns svc " + address + ": left: " + name + " no longer resolves to it",
                        "dns svc " + address + ": joined: " + name + " resolves to it now"));
    }

    @Test
    void resolveAllKeepsTheLastAddressesWhileTheNameDoesNotResolveAndIgnoresTheAnswerOrder() throws Exception {
        pointNameAt("127.0.0.1", "127.0.0.2");
        startProxyResolvingAll();
        List<EndpointState> before = members();
        assertThat(memberAddresses()).containsExactly("127.0.0.1:" + first.port(), "127.0.0.2:" + first.port());

        pointNameAt("127.0.0.2", "127.0.0.1"); // a rotated answer: the same set
        await().during(Duration.ofMillis(400)).atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20))
                .untilAsserted(() -> assertThat(members()).containsExactlyElementsOf(before));
        pointNameAt(); // a DNS outage: keep serving the last addresses
        await().during(Duration.ofMillis(400)).atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20))
                .untilAsserted(() -> {
                    assertThat(members()).containsExactlyElementsOf(before);
                    assertThat(get()).isIn("first", "second");
                });
    }

    @Test
    void resolveAllStartsWithoutEndpointsWhileTheNameDoesNotResolveAndServesOnceItDoes() throws Exception {
        pointNameAt();
        startProxyResolvingAll();
        assertThat(members()).isEmpty();
        try (RawHttp raw = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            assertThat(raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(503);
        }

        pointNameAt("127.0.0.2");
        await().atMost(Duration.ofSeconds(10)).until(() -> get().equals("second"));
    }

    @Test
    void aReloadLooksUpANameThatDidNotResolveAndServesItWithoutDnsRefresh() throws Exception {
        pointNameAt();
        Endpoint byName = startProxyWithoutRefresh();
        assertThat(get()).as("no address yet").isNotEqualTo("second");

        pointNameAt("127.0.0.2");
        assertThat(applyEndpoints(byName.withWeight(2)).applied()).isTrue();

        assertThat(get()).as("updated in place, and looked up for the reload").isEqualTo("second");
        assertThat(events()).contains("dns svc " + NAME + ":" + first.port() + ": resolved to 127.0.0.2");
    }

    @Test
    void aNameThatAReloadAddsBackJoinsAtItsAddressNowNotTheOneItHadBefore() throws Exception {
        pointNameAt("127.0.0.1");
        Endpoint byName = startProxyWithoutRefresh();
        assertThat(get()).isEqualTo("first");
        assertThat(applyEndpoints(Endpoint.of("127.0.0.2", first.port())).applied()).isTrue();

        pointNameAt("127.0.0.2");
        assertThat(applyEndpoints(byName).applied()).isTrue();

        assertThat(get()).as("looked up for the reload that added it back").isEqualTo("second");
    }

    @Test
    void aReloadMovesAnEndpointWhoseNameNoLongerListsItsAddressAsARefreshWould() throws Exception {
        pointNameAt("127.0.0.1");
        Endpoint byName = startProxyWithoutRefresh();
        EndpointState before = members().getFirst();
        assertThat(get()).isEqualTo("first");

        pointNameAt("127.0.0.2");
        assertThat(applyEndpoints(byName.withWeight(2)).applied()).isTrue();

        assertThat(get()).isEqualTo("second");
        assertThat(members().getFirst()).as("updated in place: the same endpoint").isSameAs(before);
        assertThat(events()).contains("dns svc " + NAME + ":" + first.port()
                + ": moved to 127.0.0.2: the name no longer lists 127.0.0.1");
    }

    @Test
    void anUpstreamRebuiltDuringADnsOutageKeepsTheAddressesItsNamesHad() throws Exception {
        pointNameAt("127.0.0.1");
        Endpoint one = Endpoint.of(NAME, first.port());
        Endpoint all = Endpoint.of("all.ballast.test", first.port());
        Files.writeString(hosts, BASE_HOSTS + "127.0.0.1 " + NAME + "\n127.0.0.2 all.ballast.test\n");
        proxy = ProxyServer.start(TestConfigs.proxy(TestConfigs.upstream("svc", Policies.ROUND_ROBIN, List.of(one, all))
                .withDnsRefresh(0).withResolveAll(Set.of(all.address()))));
        assertThat(memberAddresses()).containsExactly(one.address(), "127.0.0.2:" + first.port());

        pointNameAt(); // neither name resolves now
        var outcome = proxy.apply(TestConfigs.proxy(TestConfigs.withResponseTimeout(TestConfigs.upstream("svc",
                        Policies.ROUND_ROBIN, List.of(one, all)), 2_000).withDnsRefresh(0)
                .withResolveAll(Set.of(all.address()))), "test").get(10, TimeUnit.SECONDS);

        assertThat(outcome.applied()).as(outcome.toString()).isTrue();
        assertThat(proxy.upstreams().get("svc").config().responseTimeoutMillis()).as("rebuilt").isEqualTo(2_000);
        assertThat(memberAddresses()).containsExactly(one.address(), "127.0.0.2:" + first.port());
        Set<String> served = new java.util.HashSet<>();
        for (int i = 0; i < 4; i++) {
            served.add(get());
        }
        assertThat(served).as("both still serve at the addresses they had").containsExactlyInAnyOrder("first", "second");
    }

    @Test
    void switchingResolveModeInPlaceDuringADnsOutageKeepsTheAddressTheNameHad() throws Exception {
        pointNameAt("127.0.0.2");
        Endpoint byName = startProxyWithoutRefresh();
        assertThat(get()).isEqualTo("second");
        pointNameAt(); // the name stops resolving

        assertThat(reloadResolving(byName, true, runningResponseTimeout()).applied()).isTrue();
        assertThat(memberAddresses()).as("one to all").containsExactly("127.0.0.2:" + first.port());
        assertThat(get()).isEqualTo("second");

        assertThat(reloadResolving(byName, false, runningResponseTimeout()).applied()).isTrue();
        assertThat(memberAddresses()).as("all to one").containsExactly(byName.address());
        assertThat(get()).isEqualTo("second");
    }

    @Test
    void switchingResolveModeInARebuildDuringADnsOutageKeepsTheAddressTheNameHad() throws Exception {
        pointNameAt("127.0.0.2");
        Endpoint byName = startProxyWithoutRefresh();
        assertThat(get()).isEqualTo("second");
        pointNameAt();

        assertThat(reloadResolving(byName, true, 2_000).applied()).isTrue();
        assertThat(proxy.upstreams().get("svc").config().responseTimeoutMillis()).as("rebuilt").isEqualTo(2_000);
        assertThat(memberAddresses()).as("one to all").containsExactly("127.0.0.2:" + first.port());
        assertThat(get()).isEqualTo("second");

        assertThat(reloadResolving(byName, false, 3_000).applied()).isTrue();
        assertThat(proxy.upstreams().get("svc").config().responseTimeoutMillis()).as("rebuilt").isEqualTo(3_000);
        assertThat(memberAddresses()).as("all to one").containsExactly(byName.address());
        assertThat(get()).isEqualTo("second");
    }

    /**
     * Reloads the upstream with {@code endpoint} resolving all or one, {@code dns_refresh: 0}; another
     * response timeout than the running one's rebuilds the upstream, the same one updates it in place.
     */
    private ReloadOutcome reloadResolving(Endpoint endpoint, boolean all, long responseTimeoutMillis) throws Exception {
        var upstream = TestConfigs.withResponseTimeout(TestConfigs.upstream("svc", Policies.ROUND_ROBIN,
                List.of(endpoint)), responseTimeoutMillis).withDnsRefresh(0)
                .withResolveAll(all ? Set.of(endpoint.address()) : Set.of());
        return proxy.apply(TestConfigs.proxy(upstream), "test").get(10, TimeUnit.SECONDS);
    }

    private long runningResponseTimeout() {
        return proxy.upstreams().get("svc").config().responseTimeoutMillis();
    }

    /** The proxy with the name's endpoint and {@code dns_refresh: 0}: only reloads look the name up again. */
    private Endpoint startProxyWithoutRefresh() {
        Endpoint byName = Endpoint.of(NAME, first.port());
        proxy = ProxyServer.start(TestConfigs.proxy(
                TestConfigs.upstream("svc", Policies.ROUND_ROBIN, List.of(byName)).withDnsRefresh(0)));
        return byName;
    }

    /** Reloads the upstream with {@code endpoints} and {@code dns_refresh: 0}: an update in place. */
    private ReloadOutcome applyEndpoints(Endpoint... endpoints) throws Exception {
        return proxy.apply(TestConfigs.proxy(TestConfigs.upstream("svc", Policies.ROUND_ROBIN, List.of(endpoints))
                .withDnsRefresh(0)), "test").get(10, TimeUnit.SECONDS);
    }

    @Test
    void aReloadInPlaceTakesTheAddressesItLookedUpForAResolveAllNameAsARefreshWould() throws Exception {
        pointNameAt("127.0.0.1");
        Endpoint byName = Endpoint.of(NAME, first.port());
        proxy = ProxyServer.start(TestConfigs.proxy(TestConfigs.upstream("svc", Policies.ROUND_ROBIN, List.of(byName))
                .withDnsRefresh(0).withResolveAll(Set.of(byName.address()))));
        EndpointState stays = members().getFirst();
        assertThat(memberAddresses()).containsExactly("127.0.0.1:" + first.port());

        pointNameAt("127.0.0.2", "127.0.0.1");
        Endpoint reweighed = byName.withWeight(2);
        var outcome = proxy.apply(TestConfigs.proxy(TestConfigs.upstream("svc", Policies.ROUND_ROBIN,
                        List.of(reweighed)).withDnsRefresh(0).withResolveAll(Set.of(reweighed.address()))),
                "test").get(10, TimeUnit.SECONDS);

        assertThat(outcome.applied()).as(outcome.toString()).isTrue();
        assertThat(memberAddresses()).containsExactlyInAnyOrder("127.0.0.1:" + first.port(), "127.0.0.2:" + first.port());
        assertThat(members()).as("the address that stays keeps its state").contains(stays);
        Set<String> served = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            served.add(get());
        }
        assertThat(served).containsExactlyInAnyOrder("first", "second");
        assertThat(events()).contains("dns svc 127.0.0.2:" + first.port() + ": joined: " + byName.address()
                + " resolves to it now");

        pointNameAt(); // an outage: the reload's lookup fails, and the members stay, with a warning
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger expansionLog = (Logger) LoggerFactory.getLogger(NameExpansion.class);
        expansionLog.addAppender(log);
        try {
            assertThat(proxy.apply(TestConfigs.proxy(TestConfigs.upstream("svc", Policies.ROUND_ROBIN, List.of(byName))
                            .withDnsRefresh(0).withResolveAll(Set.of(byName.address()))), "test")
                    .get(10, TimeUnit.SECONDS).applied()).isTrue();
        } finally {
            expansionLog.detachAppender(log);
        }
        assertThat(memberAddresses()).containsExactlyInAnyOrder("127.0.0.1:" + first.port(), "127.0.0.2:" + first.port());
        assertThat(log.list).map(ILoggingEvent::getFormattedMessage).singleElement().asString()
                .startsWith("upstream svc: endpoint " + byName.address() + ": cannot resolve " + NAME + " (")
                .endsWith("); keeping its last 2 address(es)");
    }

    @Test
    void aReloadReweighsTheMembersOfAResolveAllNameInPlace() throws Exception {
        pointNameAt("127.0.0.1", "127.0.0.2");
        startProxyResolvingAll();
        List<EndpointState> before = members();
        assertThat(memberAddresses()).containsExactly("127.0.0.1:" + first.port(), "127.0.0.2:" + first.port());

        Endpoint reweighed = Endpoint.of(NAME, first.port()).withWeight(5);
        var outcome = proxy.apply(TestConfigs.proxy(TestConfigs.upstream("svc", Policies.ROUND_ROBIN,
                        List.of(reweighed)).withDnsRefresh(100).withResolveAll(Set.of(reweighed.address()))),
                "test").get(10, TimeUnit.SECONDS);

        assertThat(outcome.applied()).as(outcome.toString()).isTrue();
        assertThat(members()).containsExactlyElementsOf(before);
        assertThat(members()).allSatisfy(member -> {
            assertThat(member.endpoint().weight()).isEqualTo(5);
            assertThat(member.endpoint().metadata()).containsEntry("dns_name", NAME);
        });
    }

    @Test
    void aReloadAddsAnEndpointInPlaceAndAnAddressListedTwiceIsOneEndpoint() throws Exception {
        pointNameAt("127.0.0.1", "127.0.0.2");
        startProxyResolvingAll();
        List<EndpointState> before = members();

        Endpoint byName = Endpoint.of(NAME, first.port()).withWeight(3);
        Endpoint byAddress = Endpoint.of("127.0.0.2", first.port()); // also one of the name's addresses
        var outcome = proxy.apply(TestConfigs.proxy(TestConfigs.upstream("svc", Policies.ROUND_ROBIN,
                        List.of(byName, byAddress)).withDnsRefresh(100).withResolveAll(Set.of(byName.address()))),
                "test").get(10, TimeUnit.SECONDS);

        assertThat(outcome.applied()).as(outcome.toString()).isTrue();
        assertThat(members()).as("updated in place, each address once").containsExactlyElementsOf(before);
    }
}
