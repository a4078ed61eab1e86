package dev.ballast.proxy.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.testing.AdminClient;
import dev.ballast.proxy.testing.ConfigFiles;
import dev.ballast.proxy.testing.ControlPathHold;
import dev.ballast.proxy.testing.KernelSlices;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The admin API end to end: every endpoint but {@code /metrics} (see MetricsEndpointTest). */
class AdminApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private TestBackend one;
    private TestBackend two;
    private ProxyServer proxy;
    private AdminClient admin;
    private Path file;

    @BeforeEach
    void start() {
        one = TestBackend.named("one");
        two = TestBackend.named("two");
        file = dir.resolve("ballast.yaml");
        proxy = ProxyServer.start(ConfigFiles.write(file, yaml(List.of(one, two))), file, false);
        admin = AdminClient.of(proxy.adminAddress());
    }

    private static String yaml(List<TestBackend> backends) {
        StringBuilder endpoints = new StringBuilder();
        for (TestBackend backend : backends) {
            endpoints.append("      - { address: ").append(backend.address()).append(", weight: 2 }\n");
        }
        return ConfigFiles.withLocalListeners("""
                upstreams:
                  api:
                    balancer: round-robin
                    endpoints:
                """ + endpoints + """
                routes:
                  - name: everything
                    match: { path_prefix: / }
                    upstream: api
                """);
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        one.close();
        two.close();
    }

    private JsonNode json(HttpResponse<String> response) throws IOException {
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json; charset=utf-8");
        return JSON.readTree(response.body());
    }

    private JsonNode endpoint(JsonNode status, String address) {
        for (JsonNode endpoint : status.at("/upstreams/0/endpoints")) {
            if (endpoint.get("address").asText().equals(address)) {
                return endpoint;
            }
        }
        throw new AssertionError("no endpoint " + address + " in " + status);
    }

    @Test
    void healthzAndReadyAnswerWhileServing() throws Exception {
        assertThat(admin.get("/healthz").statusCode()).isEqualTo(200);
        assertThat(admin.get("/healthz").body()).isEqualTo("ok\n");
        assertThat(admin.get("/ready").statusCode()).isEqualTo(200);
        assertThat(admin.get("/ready").body()).isEqualTo("ready\n");
        assertThat(admin.post("/healthz").statusCode()).isEqualTo(405);
        assertThat(admin.get("/nope").statusCode()).isEqualTo(404);
        assertThat(admin.get("/reload").statusCode()).as("reload changes things: POST only").isEqualTo(405);
        assertThat(admin.get("/reload").headers().firstValue("allow")).hasValue("POST");
        assertThat(admin.post("/status").headers().firstValue("allow")).hasValue("GET, HEAD");
    }

    @Test
    void answersMalformedAndOversizedRequestsWithTheirStatusNotASilentClose() throws Exception {
        try (RawHttp client = RawHttp.connect(proxy.adminAddress())) {
            RawHttp.Response badEscape = client.send("GET /status%zz HTTP/1.1\r\nHost: localhost\r\n\r\n").read();
            assertThat(badEscape.status()).isEqualTo(400);
            assertThat(badEscape.text()).contains("percent-encoding");

            RawHttp.Response badDrain = client.send("POST /upstreams/api/endpoints/%zz/drain HTTP/1.1\r\n"
                    + "Host: localhost\r\nContent-Length: 0\r\n\r\n").read();
            assertThat(badDrain.status()).isEqualTo(400);

            RawHttp.Response controls = client.send("POST /upstreams/api/endpoints/%00%1b%5b31m/drain HTTP/1.1\r\n"
                    + "Host: localhost\r\nContent-Length: 0\r\n\r\n").read();
            assertThat(controls.status()).isEqualTo(404);
            assertThat(controls.text()).as("quoted, not sent to the reader's terminal")
                    .contains("has no endpoint \\x00\\x1B[31m").doesNotContain("\u001b");
        }
        try (RawHttp client = RawHttp.connect(proxy.adminAddress())) {
            String big = "x".repeat(20_000);
            assertThat(client.send("GET /status HTTP/1.1\r\nHost: localhost\r\nX-Big: " + big + "\r\n\r\n").read().status())
                    .isEqualTo(431);
        }
        try (RawHttp client = RawHttp.connect(proxy.adminAddress())) {
            assertThat(client.send("GET /" + "x".repeat(20_000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n").read().status())
                    .isEqualTo(414);
        }
        try (RawHttp client = RawHttp.connect(proxy.adminAddress())) {
            assertThat(client.send("GET /status HTTP/2.0\r\nHost: localhost\r\n\r\n").read().status()).isEqualTo(505);
        }
        try (RawHttp client = RawHttp.connect(proxy.adminAddress())) {
            assertThat(client.send("GET /status HTTP/1.1\r\n\r\n").read().status()).isEqualTo(400);
        }
        try (RawHttp client = RawHttp.connect(proxy.adminAddress())) {
            assertThat(client.send("GET /status HTTP/1.0\r\n\r\n").read().status()).as("1.0 needs no Host").isEqualTo(200);
        }
    }

    @Test
    void statusShowsListenersRoutesUpstreamsEndpointsAndEvents() throws Exception {
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            for (int i = 0; i < 4; i++) {
                assertThat(client.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").read().status()).isEqualTo(200);
            }
            JsonNode status = json(admin.get("/status"));

            assertThat(status.get("ready").asBoolean()).isTrue();
            assertThat(status.get("generation").asInt()).isEqualTo(1);
            assertThat(status.get("event_loops").asInt()).isEqualTo(Runtime.getRuntime().availableProcessors());
            if (KernelSlices.available()) {
                assertThat(status.get("event_loop_kernel_slice").asText()).isEqualTo("100us");
            } else {
                // Where the slice cannot be read back, it may still be in force.
                assertThat(status.get("event_loop_kernel_slice").asText()).matches("100us|not in force: .+");
            }
            assertThat(status.get("config_loaded_at").asText()).endsWith("Z");
            assertThat(status.get("transport").asText()).isEqualTo(proxy.transport()).isIn("io_uring", "epoll", "nio");
            assertThat(status.at("/listeners/0/name").asText()).isEqualTo("public");
            assertThat(status.at("/listeners/0/address").asText())
                    .isEqualTo("127.0.0.1:" + proxy.listenerAddresses().get(0).getPort());
            assertThat(status.at("/listeners/0/connections").asInt()).isEqualTo(1);
            assertThat(status.at("/routes/0/name").asText()).isEqualTo("everything");
            assertThat(status.at("/routes/0/upstream").asText()).isEqualTo("api");
            assertThat(status.at("/routes/0/match/path_prefix").asText()).isEqualTo("/");
            assertThat(status.at("/upstreams/0/name").asText()).isEqualTo("api");
            assertThat(status.at("/upstreams/0/balancer").asText()).isEqualTo("round-robin");
            JsonNode first = endpoint(status, one.address());
            assertThat(first.get("state").asText()).isEqualTo("healthy");
            assertThat(first.get("health").asText()).isEqualTo("healthy");
            assertThat(first.get("ejected").asBoolean()).isFalse();
            assertThat(first.get("draining").asBoolean()).isFalse();
            assertThat(first.get("weight").asInt()).isEqualTo(2);
            assertThat(first.get("active_requests").asInt()).isZero();
            assertThat(first.get("requests").asLong()).isEqualTo(2);
            assertThat(first.get("failures").asLong()).isZero();
            assertThat(first.get("latency_ewma_ms").asDouble()).isPositive();
            assertThat(first.get("recent_errors").asLong()).isZero();
            assertThat(first.get("open_connections").asInt()).isEqualTo(1);
            assertThat(first.get("metadata").isObject()).as("the endpoint's labels").isTrue();
            assertThat(status.get("events").isArray()).isTrue();
        }
    }

    @Test
    void statusCountsRecentServerErrorsOfAnEndpoint() throws Exception {
        one.respondWith((ctx, request) -> TestBackend.text(ctx, request, HttpResponseStatus.INTERNAL_SERVER_ERROR, "x"));
        two.respondWith((ctx, request) -> TestBackend.text(ctx, request, HttpResponseStatus.INTERNAL_SERVER_ERROR, "x"));
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            for (int i = 0; i < 4; i++) {
                assertThat(client.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").read().status()).isEqualTo(500);
            }
        }
        // The dashboard's history samples once a second.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            JsonNode status = json(admin.get("/status"));
            assertThat(endpoint(status, one.address()).get("recent_errors").asLong()
                    + endpoint(status, two.address()).get("recent_errors").asLong()).isEqualTo(4);
        });
    }

    @Test
    void statsHasPerSecondSamplesPerUpstreamAndEndpoint() throws Exception {
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                assertThat(client.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").read().status()).isEqualTo(200);
                String body = admin.get("/stats").body();
                assertThat(body).as("compact: thousands of numbers an endpoint, not one a line").doesNotContain("\n");
                JsonNode stats = JSON.readTree(body);
                assertThat(stats.get("interval_ms").asInt()).isEqualTo(1000);
                JsonNode api = stats.at("/upstreams/api");
                assertThat(api.isObject()).as("sampled once a second: %s", stats).isTrue();
                long requests = 0;
                for (JsonNode sample : api.get("requests")) {
                    requests += sample.asLong();
                }
                assertThat(requests).isPositive();
                assertThat(api.get("requests").size()).isEqualTo(stats.get("times").size());
                assertThat(api.get("p99_ms").size()).isEqualTo(stats.get("times").size());
                assertThat(api.at("/endpoints").has(one.address())).isTrue();
                boolean anyLatency = false;
                for (JsonNode p50 : api.at("/endpoints/" + one.address().replace("/", "~1") + "/p50_ms")) {
                    anyLatency |= p50.isNumber() && p50.asDouble() > 0;
                }
                assertThat(anyLatency).isTrue();
            });
        }
    }

    @Test
    void statsHasAnUpstreamThatOnlyGetsMirroredCopies() throws Exception {
        ConfigFiles.write(file, ConfigFiles.withLocalListeners("""
                upstreams:
                  api:
                    endpoints: [%s]
                  shadow:
                    endpoints: [%s]
                routes:
                  - name: everything
                    upstream: api
                    mirror: { upstream: shadow }
                """.formatted(one.address(), two.address())));
        assertThat(admin.post("/reload").statusCode()).isEqualTo(200);
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            for (int i = 0; i < 5; i++) {
                assertThat(client.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").read().status()).isEqualTo(200);
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> two.requests().size() == 5);

        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            JsonNode shadow = json(admin.get("/stats")).at("/upstreams/shadow");
            assertThat(shadow.isObject()).as("the mirror's upstream is charted").isTrue();
            assertThat(sum(shadow.get("requests"))).isEqualTo(5);
            assertThat(sum(shadow.at("/endpoints/" + two.address().replace("/", "~1") + "/requests"))).isEqualTo(5);
        });
    }

    private static long sum(JsonNode samples) {
        long sum = 0;
        for (JsonNode sample : samples) {
            sum += sample.asLong();
        }
        return sum;
    }

    @Test
    void configShowsTheEffectiveConfigurationAsJson() throws Exception {
        JsonNode config = json(admin.get("/config"));

        assertThat(config.at("/listeners/0/name").asText()).isEqualTo("public");
        assertThat(config.at("/upstreams/api/balancer").asText()).isEqualTo("round-robin");
        assertThat(config.at("/upstreams/api/endpoints/0/port").asInt()).isEqualTo(one.port());
        assertThat(config.at("/upstreams/api/endpoints/0/weight").asInt()).isEqualTo(2);
        assertThat(config.at("/routes/0/upstream").asText()).isEqualTo("api");
        assertThat(config.at("/drain_timeout_millis").asLong()).isEqualTo(30_000);
        assertThat(config.at("/transport").asText()).isEqualTo("epoll");
        assertThat(config.at("/event_loops").asText()).as("as the file spells the default").isEqualTo("auto");
        assertThat(config.at("/event_loop_slice_micros").asLong()).isEqualTo(500);
        assertThat(config.at("/event_loop_kernel_slice_micros").asLong()).isEqualTo(100);
        assertThat(config.at("/access_log/enabled").asBoolean()).isFalse();
        assertThat(config.at("/admin/token").isNull()).isTrue();
        assertThat(config.at("/upstreams/api/resilience/retries/retry_on").toString())
                .as("as the file spells it").isEqualTo("[\"connect-failure\",\"reset\"]");
    }

    @Test
    void aDrainAskedForOnceTheControlPathHasStoppedIsRefusedSayingTheProxyIsStopping() throws Exception {
        ((ExecutorService) proxy.controlPath()).shutdown(); // as a shutdown does, after draining

        HttpResponse<String> drained = admin.post("/upstreams/api/endpoints/" + one.address() + "/drain");

        assertThat(drained.statusCode()).isEqualTo(409);
        assertThat(drained.body()).isEqualTo("the proxy is stopping: endpoints are no longer drained or enabled\n");
    }

    @Test
    void drainStopsNewRequestsLetsTheOneInFlightFinishAndEnableBringsItBack() throws Exception {
        CompletableFuture<Void> answer = new CompletableFuture<>();
        one.respondWith(TestBackend.held(answer,
                (ctx, request) -> TestBackend.text(ctx, request, HttpResponseStatus.OK, "one, slowly")));
        HttpClient client = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + proxy.listenerAddresses().get(0).getPort() + "/")).timeout(Duration.ofSeconds(10)).build();
        // One request at a time until one is held at 'one' ('two' answers at once). Round robin keeps
        // its turn per event loop, so which request lands there depends on the connection's loop.
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        while (one.requests().isEmpty()) {
            assertThat(sent).as("requests sent without one reaching 'one'").hasSizeLessThan(10);
            sent.add(client.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
            int count = sent.size();
            await().atMost(Duration.ofSeconds(5)).until(() -> one.requests().size() + two.requests().size() == count);
        }

        HttpResponse<String> drained = admin.post("/upstreams/api/endpoints/" + one.address() + "/drain");

        assertThat(drained.statusCode()).isEqualTo(200);
        JsonNode body = json(drained);
        assertThat(body.get("state").asText()).isEqualTo("draining");
        assertThat(body.get("active_requests").asInt()).isEqualTo(1);
        List<String> served = new ArrayList<>();
        try (RawHttp raw = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            for (int i = 0; i < 6; i++) {
                served.add(raw.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").read().text());
            }
        }
        assertThat(served).containsOnly("two");
        answer.complete(null);
        List<String> before = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> response : sent) {
            before.add(response.get(10, TimeUnit.SECONDS).body());
        }
        assertThat(before).as("the request in flight to the drained endpoint finished").isSubsetOf("one, slowly", "two")
                .filteredOn("one, slowly"::equals).hasSize(1);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(one.openConnections())
                .as("idle connections closed at the drain, the in-flight one as its request finished").isZero());
        JsonNode status = json(admin.get("/status"));
        assertThat(endpoint(status, one.address()).get("state").asText()).isEqualTo("draining");
        assertThat(status.get("events").toString()).contains("drain", one.address());

        assertThat(admin.post("/upstreams/api/endpoints/" + one.address() + "/enable").statusCode()).isEqualTo(200);
        one.respondWith(null);
        served.clear();
        try (RawHttp raw = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            for (int i = 0; i < 4; i++) {
                served.add(raw.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").read().text());
            }
        }
        assertThat(served).contains("one", "two");
    }

    @Test
    void drainingAnEndpointClosesItsIdlePooledConnections() throws Exception {
        try (RawHttp raw = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            for (int i = 0; i < 6; i++) {
                assertThat(raw.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").read().status()).isEqualTo(200);
            }
        }
        assertThat(one.requests()).as("round robin reached it").isNotEmpty();
        assertThat(one.openConnections()).as("pooled, idle").isPositive();

        assertThat(admin.post("/upstreams/api/endpoints/" + one.address() + "/drain").statusCode()).isEqualTo(200);

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(one.openConnections()).isZero());
        assertThat(two.openConnections()).as("the other endpoint keeps its own").isPositive();
    }

    @Test
    void drainingEveryEndpointAnswers503SayingSoNotUnhealthy() throws Exception {
        for (TestBackend backend : List.of(one, two)) {
            assertThat(admin.post("/upstreams/api/endpoints/" + backend.address() + "/drain").statusCode()).isEqualTo(200);
        }

        try (RawHttp raw = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            RawHttp.Response response = raw.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").read();
            assertThat(response.status()).isEqualTo(503);
            assertThat(response.text()).contains("all endpoints draining").doesNotContain("unhealthy");
        }
    }

    @Test
    void anEndpointWithoutALatencySampleShowsNoEwmaRatherThanZero() throws Exception {
        assertThat(endpoint(json(admin.get("/status")), one.address()).get("latency_ewma_ms").isNull()).isTrue();

        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            for (int i = 0; i < 2; i++) { // round robin: one each
                assertThat(client.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").read().status()).isEqualTo(200);
            }
        }

        assertThat(endpoint(json(admin.get("/status")), one.address()).get("latency_ewma_ms").asDouble()).isPositive();
    }

    @Test
    void listenerAddressesAreWrittenAsInTheConfigurationWithIpv6InBrackets() throws Exception {
        assertThat(StatusJson.text(new InetSocketAddress(InetAddress.getByName("::1"), 8080))).isEqualTo("[::1]:8080");
        assertThat(StatusJson.text(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 80))).isEqualTo("127.0.0.1:80");
    }

    @Test
    void anIpv6EndpointIsDrainedByItsAddressAsTheFileSpellsIt() throws Exception {
        proxy.close();
        proxy = ProxyServer.start(ConfigFiles.write(file, yaml(List.of(one)).replace("    endpoints:\n",
                "    endpoints:\n      - { address: \"[FD00:0:0::5]:8080\" }\n")), file, false);
        admin = AdminClient.of(proxy.adminAddress());

        HttpResponse<String> drained = admin.post("/upstreams/api/endpoints/"
                + URLEncoder.encode("[FD00:0:0::5]:8080", StandardCharsets.UTF_8) + "/drain");

        assertThat(drained.statusCode()).as(drained.body()).isEqualTo(200);
        assertThat(json(drained).get("endpoint").asText()).isEqualTo("[fd00::5]:8080");
        assertThat(endpoint(json(admin.get("/status")), "[fd00::5]:8080").get("draining").asBoolean()).isTrue();
    }

    @Test
    void drainNamesWhatItDoesNotKnow() throws Exception {
        HttpResponse<String> noUpstream = admin.post("/upstreams/nope/endpoints/" + one.address() + "/drain");
        assertThat(noUpstream.statusCode()).isEqualTo(404);
        assertThat(noUpstream.body()).contains("no upstream 'nope'", "api");

        HttpResponse<String> noEndpoint = admin.post("/upstreams/api/endpoints/127.0.0.1:1/drain");
        assertThat(noEndpoint.statusCode()).isEqualTo(404);
        assertThat(noEndpoint.body()).contains("no endpoint 127.0.0.1:1", one.address());

        assertThat(admin.post("/upstreams/api/endpoints/" + one.address() + "/pause").statusCode()).isEqualTo(404);
        assertThat(admin.get("/upstreams/api/endpoints/" + one.address() + "/drain").statusCode()).isEqualTo(405);
    }

    @Test
    void getOfAnUpstreamShowsItAndItsEndpointsAsStatusDoes() throws Exception {
        HttpResponse<String> api = admin.get("/upstreams/api");
        assertThat(api.statusCode()).isEqualTo(200);
        assertThat(api.headers().firstValue("content-type")).hasValue("application/json; charset=utf-8");
        JsonNode upstream = JSON.readTree(api.body());
        assertThat(upstream.at("/name").asText()).isEqualTo("api");
        assertThat(upstream.at("/balancer").asText()).isEqualTo("round-robin");
        assertThat(upstream.at("/endpoints/0/address").asText()).isEqualTo(one.address());
        assertThat(upstream.at("/endpoints/1/address").asText()).isEqualTo(two.address());
        assertThat(upstream.at("/endpoints/0/state").asText()).isEqualTo("healthy");
        JsonNode inStatus = JSON.readTree(admin.get("/status").body()).at("/upstreams/0");
        assertThat(upstream.fieldNames()).toIterable().containsExactlyElementsOf(inStatus::fieldNames);

        HttpResponse<String> unknown = admin.get("/upstreams/nope");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("no upstream 'nope'", "api");
        HttpResponse<String> posted = admin.post("/upstreams/api");
        assertThat(posted.statusCode()).isEqualTo(405);
        assertThat(posted.headers().firstValue("allow")).hasValue("GET, HEAD");
        assertThat(admin.get("/upstreams/").statusCode()).isEqualTo(404);
    }

    @Test
    void pipelinedRequestsAreAnsweredInTheirOrderWhenTheFirstWaitsForTheControlPath() throws Exception {
        try (ControlPathHold held = ControlPathHold.of(proxy);
             RawHttp client = RawHttp.connect(proxy.adminAddress()).timeout(10_000)) {
            client.send("POST /upstreams/api/endpoints/" + one.address() + "/drain HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Length: 0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
            // One loop serves the admin listener: once a later connection is answered, both requests
            // above have been read, and the drain cannot be answered while the control path is held.
            assertThat(admin.get("/healthz").statusCode()).isEqualTo(200);
            held.release();
            RawHttp.Response first = client.read();
            RawHttp.Response second = client.read();
            assertThat(first.status()).isEqualTo(200);
            assertThat(JSON.readTree(first.text()).at("/state").asText()).isEqualTo("draining");
            assertThat(second.status()).isEqualTo(200);
            assertThat(second.text()).isEqualTo("ok\n");
        }
    }

    @Test
    void theConfigDigestIsOneForOneConfigurationHoweverItIsWrittenAndChangesWithIt() throws Exception {
        String digest = json(admin.get("/status")).get("config_digest").asText();
        assertThat(digest).matches("[0-9a-f]{16}");
        assertThat(admin.get("/metrics").body()).contains("ballast_config_info{digest=\"" + digest + "\"} 1");

        // The same configuration: comments, and the methods of a match in another order (ConfigDigestTest
        // has defaults left out or written out).
        String routes = "  - name: everything\n    match: { path_prefix: / }\n";
        String withMethods = yaml(List.of(one, two)).replace(routes, routes.replace("path_prefix: / }",
                "path_prefix: /, methods: [%s] }"));
        ConfigFiles.write(file, withMethods.formatted("GET, POST"));
        assertThat(admin.post("/reload").statusCode()).isEqualTo(200);
        String withGetPost = json(admin.get("/status")).get("config_digest").asText();
        ConfigFiles.write(file, "# the same again\n" + withMethods.formatted("POST, GET")
                .replace("balancer: round-robin", "balancer: round-robin   # a comment"));
        assertThat(admin.post("/reload").statusCode()).isEqualTo(200);
        assertThat(json(admin.get("/status")).get("config_digest").asText()).isEqualTo(withGetPost);
        assertThat(JSON.readTree(admin.get("/config").body()).at("/routes/0/match/methods").toString())
                .isEqualTo("[\"GET\",\"POST\"]");

        ConfigFiles.write(file, yaml(List.of(one)));
        assertThat(admin.post("/reload").statusCode()).isEqualTo(200);
        String changed = json(admin.get("/status")).get("config_digest").asText();
        assertThat(changed).isNotEqualTo(digest).isNotEqualTo(withGetPost);
        assertThat(admin.get("/metrics").body()).contains("ballast_config_info{digest=\"" + changed + "\"} 1")
                .doesNotContain(digest);
    }

    @Test
    void reloadAppliesTheFileOrRejectsItWithValidateMessages() throws Exception {
        TestBackend three = TestBackend.named("three");
        try {
            ConfigFiles.write(file, yaml(List.of(one, two, three)));
            HttpResponse<String> applied = admin.post("/reload");
            assertThat(applied.statusCode()).isEqualTo(200);
            assertThat(json(applied).get("result").asText()).isEqualTo("applied");
            assertThat(json(applied).get("generation").asInt()).isEqualTo(2);
            assertThat(json(admin.get("/status")).at("/upstreams/0/endpoints").size()).isEqualTo(3);

            Files.writeString(file, Files.readString(file).replace("weight: 2", "weight: -1"));
            HttpResponse<String> rejected = admin.post("/reload");
            assertThat(rejected.statusCode()).isEqualTo(400);
            JsonNode body = json(rejected);
            assertThat(body.get("result").asText()).isEqualTo("rejected");
            assertThat(body.get("generation").asInt()).isEqualTo(2);
            assertThat(body.get("errors").get(0).asText())
                    .isEqualTo(dev.ballast.proxy.config.ConfigLoader.load(file).errors().get(0).format())
                    .contains("weight");
            try (RawHttp raw = RawHttp.connect(proxy.listenerAddresses().get(0))) {
                assertThat(raw.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").read().status())
                        .as("the old configuration keeps serving").isEqualTo(200);
            }
            JsonNode events = json(admin.get("/status")).get("events");
            assertThat(events.get(events.size() - 2).get("message").asText()).contains("configuration 2 applied (admin)");
            assertThat(events.get(events.size() - 1).get("kind").asText()).isEqualTo("reload");
            assertThat(events.get(events.size() - 1).get("message").asText()).startsWith("rejected (admin)");
        } finally {
            three.close();
        }
    }

    @Test
    void reloadIsUnavailableWithoutAConfigurationFile() throws Exception {
        try (ProxyServer fileless = ProxyServer.start(proxy.config())) {
            HttpResponse<String> response = AdminClient.of(fileless.adminAddress()).post("/reload");
            assertThat(response.statusCode()).isEqualTo(409);
            assertThat(response.body()).contains("not started from a configuration file");
        }
    }

    @Test
    void servesTheDashboardFromTheJar() throws Exception {
        HttpResponse<String> page = admin.get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
        assertThat(page.body()).contains("<script src=\"dashboard.js\"></script>").doesNotContain("http://", "https://");
        assertThat(admin.get("/dashboard.js").body()).contains("fetch(path");
        assertThat(admin.get("/dashboard.css").headers().firstValue("content-type")).hasValue("text/css; charset=utf-8");
    }
}
