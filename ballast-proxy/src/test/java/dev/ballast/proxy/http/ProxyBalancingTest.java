package dev.ballast.proxy.http;

import dev.ballast.core.pick.Policies;
import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.config.HashKey;
import dev.ballast.proxy.config.UpstreamConfig;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import dev.ballast.proxy.testing.TestConfigs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.ballast.proxy.testing.TestConfigs.endpoints;
import static dev.ballast.proxy.testing.TestConfigs.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/** Every core balancer, driven through the proxy against three real backends. */
class ProxyBalancingTest {

    private static final int REQUESTS = 90;

    private TestBackend a;
    private TestBackend b;
    private TestBackend c;
    private ProxyServer proxy;

    @BeforeEach
    void startBackends() {
        a = TestBackend.named("a");
        b = TestBackend.named("b");
        c = TestBackend.named("c");
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        a.close();
        b.close();
        c.close();
    }

    static List<String> balancers() {
        return Policies.ids();
    }

    private InetSocketAddress start(UpstreamConfig upstream) {
        proxy = ProxyServer.start(TestConfigs.proxy(upstream));
        return proxy.listenerAddresses().get(0);
    }

    private Map<String, Integer> spread(InetSocketAddress address, String headerPrefix) throws Exception {
        Map<String, Integer> counts = new HashMap<>();
        try (RawHttp raw = RawHttp.connect(address)) {
            for (int i = 0; i < REQUESTS; i++) {
                raw.send("GET /item/" + i + " HTTP/1.1\r\nHost: x\r\nX-User-Id: " + headerPrefix + i + "\r\n\r\n");
                counts.merge(raw.read().text(), 1, Integer::sum);
            }
        }
        return counts;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("balancers")
    void spreadsRequestsAsTheBalancerSays(String balancer) throws Exception {
        UpstreamConfig upstream = upstream("api", balancer, endpoints(a, b, c));
        if (Policies.isHashBased(balancer)) {
            upstream = TestConfigs.withHashKey(upstream, new HashKey(HashKey.Source.HEADER, "X-User-Id"));
        }
        InetSocketAddress address = start(upstream);

        Map<String, Integer> counts = spread(address, "user-");

        assertThat(counts.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(REQUESTS);
        switch (balancer) {
            case Policies.FIRST -> assertThat(counts).containsOnlyKeys("a");
            case Policies.ROUND_ROBIN, Policies.WEIGHTED_ROUND_ROBIN ->
                    assertThat(counts).containsOnly(Map.entry("a", 30), Map.entry("b", 30), Map.entry("c", 30));
            default -> assertThat(counts).containsOnlyKeys("a", "b", "c");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hashBalancers")
    void sendsTheSameKeyToTheSameEndpoint(String balancer) throws Exception {
        InetSocketAddress address = start(TestConfigs.withHashKey(upstream("api", balancer, endpoints(a, b, c)),
                new HashKey(HashKey.Source.COOKIE, "session")));
        try (RawHttp raw = RawHttp.connect(address)) {
            for (int key = 0; key < 10; key++) {
                String first = null;
                for (int i = 0; i < 5; i++) {
                    raw.send("GET /x HTTP/1.1\r\nHost: x\r\nCookie: theme=dark; session=s" + key + "\r\n\r\n");
                    String served = raw.read().text();
                    first = first == null ? served : first;
                    assertThat(served).as("key s%d", key).isEqualTo(first);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hashBalancers")
    void sendsTheSameBracketedQueryKeyToTheSameEndpointHoweverItsNameIsEncoded(String balancer) throws Exception {
        InetSocketAddress address = start(TestConfigs.withHashKey(upstream("api", balancer, endpoints(a, b, c)),
                HashKey.parse("query:page[id]")));
        List<String> names = List.of("page[id]", "page%5Bid%5D", "page%5bid%5d", "%70age[id]");
        try (RawHttp raw = RawHttp.connect(address)) {
            for (int key = 0; key < 10; key++) {
                String first = null;
                for (int i = 0; i < 8; i++) {
                    String name = names.get(i % names.size());
                    raw.send("GET /x?other=" + i + "&" + name + "=p" + key + " HTTP/1.1\r\nHost: x\r\n\r\n");
                    String served = raw.read().text();
                    first = first == null ? served : first;
                    assertThat(served).as("key p%d sent as %s", key, name).isEqualTo(first);
                }
            }
        }
    }

    static List<String> hashBalancers() {
        return List.of(Policies.RING_HASH, Policies.MAGLEV);
    }

    @Test
    void weightedRoundRobinFollowsWeights() throws Exception {
        UpstreamConfig upstream = upstream("api", Policies.WEIGHTED_ROUND_ROBIN, List.of(
                TestConfigs.endpoint(a).withWeight(4), TestConfigs.endpoint(b).withWeight(1),
                TestConfigs.endpoint(c).withWeight(1)));
        InetSocketAddress address = start(upstream);

        Map<String, Integer> counts = spread(address, "");

        assertThat(counts).containsOnly(Map.entry("a", 60), Map.entry("b", 15), Map.entry("c", 15));
    }
}
