package dev.ballast.proxy.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.testing.AdminClient;
import dev.ballast.proxy.testing.ConfigFiles;
import dev.ballast.proxy.testing.PrometheusText;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

/** A route's {@code split}: a canary release, by weight, at random or sticky by a key. */
class ProxySplitTest {

    @TempDir
    Path dir;

    private TestBackend stable;
    private TestBackend canary;
    private ProxyServer proxy;

    @BeforeEach
    void startBackends() {
        stable = TestBackend.named("stable");
        canary = TestBackend.named("canary");
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        stable.close();
        canary.close();
    }

    private RawHttp start(String routeExtras) throws Exception {
        Path file = dir.resolve("ballast.yaml");
        proxy = ProxyServer.start(ConfigFiles.write(file, ConfigFiles.withLocalListeners("""
                upstreams:
                  v1: { endpoints: [127.0.0.1:%d] }
                  v2: { endpoints: [127.0.0.1:%d] }
                routes:
                  - name: shop
                    split:
                      - { upstream: v1, weight: 3 }
                      - { upstream: v2, weight: 1 }
                """.formatted(stable.port(), canary.port()) + routeExtras)), file, false);
        return RawHttp.connect(proxy.listenerAddresses().get(0));
    }

    private static String get(RawHttp client, String extraHeaders) throws Exception {
        client.send("GET /cart HTTP/1.1\r\nHost: shop\r\n" + extraHeaders + "\r\n");
        RawHttp.Response response = client.read();
        assertThat(response.status()).isEqualTo(200);
        return response.text();
    }

    @Test
    void splitsRequestsBetweenUpstreamsByWeightAndCountsEachSideApart() throws Exception {
        Map<String, Integer> counts = new HashMap<>();
        try (RawHttp client = start("")) {
            for (int i = 0; i < 800; i++) {
                counts.merge(get(client, ""), 1, Integer::sum);
            }
        }

        assertThat(counts.get("canary") / 800.0).as("v2's share, weight 1 of 4").isCloseTo(0.25, within(0.06));
        assertThat(counts.get("stable") + counts.get("canary")).isEqualTo(800);
        AdminClient admin = AdminClient.of(proxy.adminAddress());
        await().untilAsserted(() -> {
            PrometheusText metrics = admin.metrics();
            assertThat(metrics.value("ballast_requests_total", "route", "shop", "upstream", "v2"))
                    .isEqualTo(counts.get("canary").doubleValue());
            assertThat(metrics.value("ballast_requests_total", "route", "shop", "upstream", "v1"))
                    .isEqualTo(counts.get("stable").doubleValue());
        });
        JsonNode route = new ObjectMapper().readTree(admin.get("/status").body()).get("routes").get(0);
        assertThat(route.get("name").asText()).isEqualTo("shop");
        assertThat(route.get("split").toString())
                .isEqualTo("[{\"upstream\":\"v1\",\"weight\":3},{\"upstream\":\"v2\",\"weight\":1}]");
    }

    @Test
    void aSplitKeySendsEveryRequestOfAUserToTheSameSide() throws Exception {
        Map<String, Integer> users = new HashMap<>();
        try (RawHttp client = start("    split_key: cookie:session\n")) {
            for (int user = 0; user < 200; user++) {
                String side = get(client, "Cookie: theme=dark; session=u" + user + "\r\n");
                for (int again = 0; again < 3; again++) {
                    assertThat(get(client, "Cookie: session=u" + user + "\r\n")).as("user u%d", user).isEqualTo(side);
                }
                users.merge(side, 1, Integer::sum);
            }
            assertThat(users.get("canary") / 200.0).as("users on v2").isCloseTo(0.25, within(0.1));

            Map<String, Integer> withoutCookie = new HashMap<>();
            for (int i = 0; i < 200; i++) {
                withoutCookie.merge(get(client, ""), 1, Integer::sum);
            }
            assertThat(withoutCookie).as("no key: drawn at random by weight").containsKeys("stable", "canary");
        }
        AdminClient admin = AdminClient.of(proxy.adminAddress());
        ObjectMapper json = new ObjectMapper();
        assertThat(json.readTree(admin.get("/config").body()).at("/routes/0/split_key").asText())
                .as("as the file spells it").isEqualTo("cookie:session");
        assertThat(json.readTree(admin.get("/status").body()).at("/routes/0/split_key").asText())
                .isEqualTo("cookie:session");
    }
}
