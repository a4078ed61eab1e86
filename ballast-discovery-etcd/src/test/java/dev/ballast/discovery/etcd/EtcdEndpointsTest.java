package dev.ballast.discovery.etcd;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.endpoint.WatchTarget;
import dev.ballast.discovery.etcd.testing.EtcdServer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The values services write under an etcd prefix, read as endpoints, and followed as they change. */
class EtcdEndpointsTest {

    @Test
    void readsHostPortAndTheJsonFormOfAnEndpoint() {
        assertThat(EtcdEndpoints.parse("/s/a", " 10.0.0.7:8080\n"))
                .isEqualTo(new Endpoint("10.0.0.7", 8080, 1, "", Map.of("etcd_key", "/s/a")));
        assertThat(EtcdEndpoints.parse("/s/b",
                "{\"address\": \"api-2.internal:9000\", \"weight\": 40, \"zone\": \"eu-1\", \"metadata\": {\"v\": \"2\"}}"))
                .isEqualTo(new Endpoint("api-2.internal", 9000, 40, "eu-1", Map.of("v", "2", "etcd_key", "/s/b")));
        assertThat(EtcdEndpoints.parse("/s/d", "{\"address\": \"h:1\", \"zone\": 5, \"metadata\": {\"n\": 1}}"))
                .as("numbers read as text, in the zone as in metadata")
                .isEqualTo(new Endpoint("h", 1, 1, "5", Map.of("n", "1", "etcd_key", "/s/d")));
        assertThat(EtcdEndpoints.parse("/s/c", "{\"Op\": 0, \"Addr\": \"[::1]:81\", \"Metadata\": null}").address())
                .as("etcd's Go naming package's form").isEqualTo("[::1]:81");
    }

    @Test
    void refusesAValueThatIsNotAnEndpointSayingWhy() {
        assertThatThrownBy(() -> EtcdEndpoints.parse("/s/a", "")).hasMessageContaining("an empty value");
        assertThatThrownBy(() -> EtcdEndpoints.parse("/s/a", "10.0.0.7")).hasMessageContaining("no port");
        assertThatThrownBy(() -> EtcdEndpoints.parse("/s/a", "{\"address\": 7}"))
                .hasMessageContaining("no \"address\"");
        assertThatThrownBy(() -> EtcdEndpoints.parse("/s/a", "{\"address\": \"h:1\", \"weight\": 10001}"))
                .hasMessageContaining("weight 10001 (expected: a whole number 1..10000)");
        assertThatThrownBy(() -> EtcdEndpoints.parse("/s/a", "{\"address\": \"h:1\", \"wieght\": 2}"))
                .hasMessageContaining("unknown field(s) [wieght]");
        assertThatThrownBy(() -> EtcdEndpoints.parse("/s/a", "{\"address\": \"h:1\"} trailing"))
                .hasMessageContaining("not JSON");
        assertThatThrownBy(() -> EtcdEndpoints.parse("/s/a", "{\"address\": \"h:1\"}{\"address\": \"h:2\"}"))
                .hasMessageContaining("not JSON");
        assertThatThrownBy(() -> EtcdEndpoints.parse("/s/a", "{\"address\": \"h:1\", \"address\": \"h:2\"}"))
                .hasMessageContaining("not JSON").hasMessageContaining("address");
        assertThatThrownBy(() -> EtcdEndpoints.parse("/s/a", "{\"address\": \"h:1\""))
                .hasMessageContaining("not JSON");
        assertThatThrownBy(() -> EtcdEndpoints.parse("/s/a", "{\"address\": \"h:1\", \"metadata\": {\"x\": {}}}"))
                .hasMessageContaining("metadata.x");
    }

    /** {@code text} in UTF-8, with its '?' replaced by a byte that UTF-8 never has alone (Latin-1's é). */
    private static EtcdValue notUtf8(String text) {
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '?') {
                bytes[i] = (byte) 0xe9;
            }
        }
        return new EtcdValue(bytes);
    }

    @Test
    void leavesOutBadValuesAndAnAddressListedTwiceAndKeepsTheRest() {
        TreeMap<String, EtcdValue> values = new TreeMap<>(Map.of(
                "/s/1", EtcdValue.of("10.0.0.1:80"),
                "/s/2", EtcdValue.of("nonsense"),
                "/s/3", EtcdValue.of("{\"address\": \"10.0.0.1:80\", \"weight\": 5}"),
                "/s/4", EtcdValue.of("10.0.0.2:80"),
                "/s/5", notUtf8("{\"address\": \"10.0.0.3:80\", \"metadata\": {\"v\": \"caf?\"}}")));
        assertThat(new EtcdEndpoints("shop").read(values)).extracting(Endpoint::address, Endpoint::weight)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("10.0.0.1:80", 1),
                        org.assertj.core.groups.Tuple.tuple("10.0.0.2:80", 1));
    }

    @Test
    void aWatchHandsOnTheEndpointsUnderThePrefixAsServicesComeAndGo() throws Exception {
        try (EtcdServer etcd = EtcdServer.started()) {
            etcd.put("/services/orders/a", "10.0.0.1:8080");
            etcd.put("/services/orders2/x", "10.0.0.9:8080"); // a sibling prefix: not these endpoints
            AtomicReference<List<Endpoint>> seen = new AtomicReference<>();
            WatchTarget target = new WatchTarget("service orders", List.of(URI.create(etcd.url())), 2_000,
                    "/services/orders/");
            try (EtcdWatch watch = EtcdEndpoints.watch(target, seen::set)) {
                watch.start();
                await().atMost(Duration.ofSeconds(10)).until(() -> addresses(seen.get()),
                        addresses -> addresses.equals(List.of("10.0.0.1:8080")));

                etcd.put("/services/orders/b", "{\"address\": \"10.0.0.2:8080\", \"weight\": 3}");
                await().atMost(Duration.ofSeconds(10)).until(() -> addresses(seen.get()),
                        addresses -> addresses.equals(List.of("10.0.0.1:8080", "10.0.0.2:8080")));
                assertThat(seen.get().get(1).weight()).isEqualTo(3);

                etcd.delete("/services/orders/a");
                await().atMost(Duration.ofSeconds(10)).until(() -> addresses(seen.get()),
                        addresses -> addresses.equals(List.of("10.0.0.2:8080")));
                assertThat(watch.status().entries()).isEqualTo(1);
            }
        }
    }

    @Test
    void aWatchQuietForLongerThanItsTimeoutKeepsItsStreamAndHearsTheNextChangeAtOnce() throws Exception {
        try (EtcdServer etcd = EtcdServer.started()) {
            etcd.put("/services/quiet/a", "10.0.0.1:8080");
            AtomicReference<List<Endpoint>> seen = new AtomicReference<>();
            // 2 s: the watch's liveness check (every two timeouts) must not time out on a busy machine.
            WatchTarget target = new WatchTarget("service quiet", List.of(URI.create(etcd.url())), 2_000,
                    "/services/quiet/");
            try (EtcdWatch watch = EtcdEndpoints.watch(target, seen::set)) {
                watch.start();
                await().atMost(Duration.ofSeconds(10)).until(() -> seen.get() != null);

                // Two and a half timeouts with nothing to hear. A timeout on the watch request would cut the
                // stream after one from JDK 26 on (it covers the body there), each time with an error.
                await().during(Duration.ofMillis(5_000)).atMost(Duration.ofSeconds(15))
                        .until(() -> watch.status().lastError() == null);
                etcd.put("/services/quiet/b", "10.0.0.2:8080");

                // On the stream, at once. A stream that died quietly would hear it only from the liveness
                // check: its next round 8 s after the stream opened, then a second's catch-up, some 4 s from now.
                await().atMost(Duration.ofSeconds(3)).until(() -> addresses(seen.get()),
                        addresses -> addresses.equals(List.of("10.0.0.1:8080", "10.0.0.2:8080")));
            }
        }
    }

    @Test
    void anEmptyPrefixFollowsTheWholeKeySpace() throws Exception {
        try (EtcdServer etcd = EtcdServer.started()) {
            etcd.put("/services/orders/a", "10.0.0.1:8080");
            etcd.put("elsewhere", "10.0.0.2:8080");
            AtomicReference<List<Endpoint>> seen = new AtomicReference<>();
            WatchTarget target = new WatchTarget("everything", List.of(URI.create(etcd.url())), 2_000, "");
            try (EtcdWatch watch = EtcdEndpoints.watch(target, seen::set)) {
                watch.start();
                await().atMost(Duration.ofSeconds(10)).until(() -> addresses(seen.get()),
                        addresses -> addresses != null && addresses.size() == 2);

                etcd.put("/more", "10.0.0.3:8080");
                await().atMost(Duration.ofSeconds(10)).until(() -> addresses(seen.get()),
                        addresses -> addresses.contains("10.0.0.3:8080"));
            }
        }
    }

    private static List<String> addresses(List<Endpoint> endpoints) {
        return endpoints == null ? null : endpoints.stream().map(Endpoint::address).toList();
    }
}
