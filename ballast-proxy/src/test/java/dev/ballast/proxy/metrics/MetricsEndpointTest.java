package dev.ballast.proxy.metrics;

import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.http.CutShort;
import dev.ballast.proxy.testing.AdminClient;
import dev.ballast.proxy.testing.ConfigFiles;
import dev.ballast.proxy.testing.PrometheusText;
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
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Every metric of the issue through {@code GET /metrics}, end to end. */
class MetricsEndpointTest {

    @TempDir
    Path dir;

    private TestBackend api;
    private TestBackend spare;
    private TestBackend failing;
    private int deadPort;
    private ProxyServer proxy;
    private AdminClient admin;
    private Path file;

    @BeforeEach
    void start() throws IOException {
        api = TestBackend.named("api");
        spare = TestBackend.named("spare");
        failing = TestBackend.start("failing",
                (ctx, request) -> TestBackend.text(ctx, request, HttpResponseStatus.INTERNAL_SERVER_ERROR, "no"));
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = socket.getLocalPort(); // closed again: connecting is refused
        }
        file = dir.resolve("ballast.yaml");
        proxy = ProxyServer.start(ConfigFiles.write(file, yaml(true)), file, false);
        admin = AdminClient.of(proxy.adminAddress());
    }

    private String yaml(boolean withBrokenRoute) {
        // An etcd that refuses: the discovery upstream's gauges are exported (at 0) all the same.
        return ConfigFiles.withLocalListeners("""
                etcd: { endpoints: ["http://127.0.0.1:%d"], timeout: 200ms }
                upstreams:
                  registry:
                    discovery: { etcd: { prefix: /services/registry/ } }
                  api:
                    endpoints: [127.0.0.1:%d]
                  flaky:
                    endpoints: [127.0.0.1:%d, 127.0.0.1:%d]
                    outlier_detection: { consecutive_failures: 2, base_ejection_time: 1m, max_ejection_percent: 50%% }
                  broken:
                    endpoints: [127.0.0.1:%d]
                  checked:
                    endpoints: [127.0.0.1:%d]
                    health_check: { path: /healthz, interval: 100ms, timeout: 100ms, unhealthy_threshold: 1 }
                  shadow:
                    endpoints: [127.0.0.1:%d]
                routes:
                  - name: flaky
                    match: { path_prefix: /flaky }
                    upstream: flaky
                """.formatted(deadPort, api.port(), deadPort, spare.port(), failing.port(), deadPort, spare.port())
                + (withBrokenRoute ? """
                  - name: broken
                    match: { path_prefix: /broken }
                    upstream: broken
                """ : "") + """
                  - name: main
                    match: { path_prefix: /api }
                    upstream: api
                    mirror: { upstream: shadow }
                """);
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        api.close();
        spare.close();
        failing.close();
    }

    private RawHttp.Response get(RawHttp client, String path) throws IOException {
        return client.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").read();
    }

    @Test
    void countsRequestsByRouteUpstreamAndCodeWithDurations() throws Exception {
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            for (int i = 0; i < 5; i++) {
                assertThat(get(client, "/api/items/" + i + "?user=" + i).status()).isEqualTo(200);
            }
            assertThat(get(client, "/broken").status()).isEqualTo(500);
            assertThat(get(client, "/nowhere").status()).isEqualTo(404);
        }
        String endpoint = api.address();

        PrometheusText metrics = admin.metrics();

        assertThat(metrics.value("ballast_requests_total", "route", "main", "upstream", "api", "code", "200")).isEqualTo(5);
        assertThat(metrics.value("ballast_requests_total", "route", "broken", "upstream", "broken", "code", "500")).isEqualTo(1);
        assertThat(metrics.value("ballast_requests_total", "route", "", "upstream", "", "code", "404")).isEqualTo(1);
        assertThat(metrics.value("ballast_request_duration_seconds_count", "route", "main", "upstream", "api")).isEqualTo(5);
        assertThat(metrics.value("ballast_request_duration_seconds_bucket", "route", "main", "upstream", "api", "le", "+Inf"))
                .isEqualTo(5);
        assertThat(metrics.value("ballast_request_duration_seconds_sum", "route", "main", "upstream", "api")).isPositive();
        assertThat(metrics.value("ballast_upstream_requests_total", "upstream", "api", "endpoint", endpoint, "code", "200"))
                .isEqualTo(5);
        assertThat(metrics.value("ballast_upstream_request_duration_seconds_count", "upstream", "api", "endpoint", endpoint))
                .isEqualTo(5);
        // Bounded labels: names from the config and status codes, never the paths asked for.
        assertThat(metrics.find("ballast_requests_total")).allSatisfy(sample -> {
            assertThat(sample.labels().get("route")).isIn("", "main", "broken", "flaky");
            assertThat(sample.labels().get("code")).matches("\\d{3}");
        });
        assertThat(metrics.toString()).doesNotContain("/api/items");
    }

    @Test
    void countsRetriesAndEjectionsAndShowsEndpointState() throws Exception {
        PrometheusText before = admin.metrics();
        assertThat(before.value("ballast_endpoint_ejections_total", "upstream", "api", "endpoint", api.address()))
                .as("there from the start, at 0").isZero();
        assertThat(before.value("ballast_endpoint_health_transitions_total", "upstream", "checked",
                "endpoint", "127.0.0.1:" + deadPort, "to", "healthy")).isZero();
        assertThat(before.find("ballast_endpoint_health_transitions_total"))
                .as("only for upstreams with health checks")
                .allSatisfy(sample -> assertThat(sample.labels()).containsEntry("upstream", "checked"));
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            for (int i = 0; i < 6; i++) {
                assertThat(get(client, "/flaky").status()).as("connect failures are retried on the spare").isEqualTo(200);
            }
        }
        String dead = "127.0.0.1:" + deadPort;

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            PrometheusText metrics = admin.metrics();
            assertThat(metrics.value("ballast_retries_total", "upstream", "flaky")).isGreaterThanOrEqualTo(2);
            assertThat(metrics.value("ballast_endpoint_ejections_total", "upstream", "flaky", "endpoint", dead)).isEqualTo(1);
            assertThat(metrics.value("ballast_endpoint_ejected", "upstream", "flaky", "endpoint", dead)).isEqualTo(1);
            assertThat(metrics.value("ballast_endpoint_ejected", "upstream", "flaky", "endpoint", spare.address())).isZero();
        });
        PrometheusText metrics = admin.metrics();
        assertThat(metrics.value("ballast_endpoint_healthy", "upstream", "api", "endpoint", api.address())).isEqualTo(1);
        assertThat(metrics.find("ballast_endpoint_healthy")).hasSize(6); // one per endpoint of every upstream
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            PrometheusText checked = admin.metrics();
            assertThat(checked.value("ballast_endpoint_healthy", "upstream", "checked")).isZero();
            assertThat(checked.value("ballast_endpoint_health_transitions_total", "upstream", "checked",
                    "endpoint", dead, "to", "unhealthy")).isEqualTo(1);
        });
        assertThat(metrics.value("ballast_endpoint_active_requests", "upstream", "api", "endpoint", api.address())).isZero();
        assertThat(metrics.value("ballast_endpoint_draining", "upstream", "api", "endpoint", api.address())).isZero();
    }

    @Test
    void aHealthTransitionWhileTheProxyIsStillStartingIsCounted() throws Exception {
        // The upstream waits up to etcd's timeout for its first discovery read while it is built; its
        // first check fails at once meanwhile, and with nothing to fail afterwards it is the only transition.
        Path starting = dir.resolve("starting.yaml");
        String yaml = ConfigFiles.withLocalListeners("""
                etcd: { endpoints: ["http://127.0.0.1:%d"], timeout: 1s }
                upstreams:
                  checked:
                    endpoints: [127.0.0.1:%d]
                    discovery: { etcd: { prefix: /services/checked/ } }
                    health_check: { path: /healthz, interval: 100ms, timeout: 100ms, unhealthy_threshold: 1 }
                routes:
                  - match: { path_prefix: / }
                    upstream: checked
                """.formatted(deadPort, deadPort));
        try (ProxyServer second = ProxyServer.start(ConfigFiles.write(starting, yaml), starting, false)) {
            AdminClient secondAdmin = AdminClient.of(second.adminAddress());
            String dead = "127.0.0.1:" + deadPort;

            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(secondAdmin.metrics().value(
                    "ballast_endpoint_health_transitions_total", "upstream", "checked", "endpoint", dead, "to",
                    "unhealthy")).isEqualTo(1));
            assertThat(secondAdmin.metrics().value("ballast_endpoint_healthy", "upstream", "checked")).isZero();
        }
    }

    @Test
    void gaugesClientAndUpstreamConnections() throws Exception {
        try (RawHttp held = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            assertThat(get(held, "/api").status()).isEqualTo(200);

            PrometheusText metrics = admin.metrics();
            assertThat(metrics.value("ballast_active_connections", "listener", "public")).isEqualTo(1);
            assertThat(metrics.value("ballast_upstream_connections", "upstream", "api", "endpoint", api.address(),
                    "state", "idle")).as("kept in the pool").isEqualTo(1);
            assertThat(metrics.value("ballast_upstream_connections", "upstream", "api", "endpoint", api.address(),
                    "state", "active")).isZero();
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(admin.metrics().value("ballast_active_connections", "listener", "public")).isZero());
    }

    @Test
    void countsResponsesCutShortByRouteUpstreamAndWhoBrokeThemOff() throws Exception {
        PrometheusText before = admin.metrics();
        for (CutShort why : CutShort.values()) {
            assertThat(before.find("ballast_responses_cut_short_total", "route", "main", "upstream", "api",
                    "reason", why.label())).as("at 0 from the start: %s", why).singleElement()
                    .satisfies(sample -> assertThat(sample.value()).isZero());
        }
        api.respondWith(TestBackend.closeMidResponse()); // promises 1000 bytes, sends 10, closes

        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            assertThat(get(client, "/api/file").body()).hasSizeLessThan(1000);
        }

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(admin.metrics().value(
                "ballast_responses_cut_short_total", "route", "main", "upstream", "api", "reason", "upstream_reset"))
                .isEqualTo(1));
        PrometheusText after = admin.metrics();
        assertThat(after.value("ballast_responses_cut_short_total")).as("no other reason counted").isEqualTo(1);
        assertThat(after.value("ballast_requests_total", "route", "main", "upstream", "api", "code", "200"))
                .as("counted with the status sent").isEqualTo(1);
    }

    @Test
    void countsReloadsByResultAndForgetsTheSeriesOfRemovedRoutes() throws Exception {
        PrometheusText atStart = admin.metrics();
        for (String result : List.of("success", "failure")) {
            assertThat(atStart.find("ballast_config_reloads_total", "result", result))
                    .as("%s at 0 from the start, so increase() counts the first reload", result)
                    .singleElement().extracting(PrometheusText.Sample::value).isEqualTo(0.0);
        }
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            assertThat(get(client, "/broken").status()).isEqualTo(500);
        }
        // Recorded just after the response is written: the scrape may come first.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(admin.metrics().find("ballast_requests_total", "route", "broken")).isNotEmpty());

        Files.writeString(file, "listeners: [");
        assertThat(admin.post("/reload").statusCode()).isEqualTo(400);
        PrometheusText afterFailure = admin.metrics();
        assertThat(afterFailure.value("ballast_config_reloads_total", "result", "failure")).isEqualTo(1);
        assertThat(afterFailure.value("ballast_config_last_reload_successful")).isZero();

        ConfigFiles.write(file, yaml(false));
        assertThat(admin.post("/reload").statusCode()).isEqualTo(200);
        PrometheusText afterSuccess = admin.metrics();
        assertThat(afterSuccess.value("ballast_config_reloads_total", "result", "success")).isEqualTo(1);
        assertThat(afterSuccess.value("ballast_config_last_reload_successful")).isEqualTo(1);
        assertThat(afterSuccess.value("ballast_config_last_reload_success_timestamp_seconds")).isPositive();
        assertThat(afterSuccess.find("ballast_requests_total", "route", "broken")).isEmpty();
        assertThat(afterFailure.find("ballast_responses_cut_short_total", "route", "broken")).isNotEmpty();
        assertThat(afterSuccess.find("ballast_responses_cut_short_total", "route", "broken")).isEmpty();
        assertThat(afterSuccess.find("ballast_upstream_requests_total", "upstream", "broken")).isNotEmpty()
                .as("the upstream stays in the config, unused");
    }

    @Test
    void exportsJvmAndProcessMetrics() throws Exception {
        PrometheusText metrics = admin.metrics();

        assertThat(metrics.has("jvm_memory_used_bytes")).isTrue();
        assertThat(metrics.has("jvm_threads_current")).isTrue();
        assertThat(metrics.has("jvm_gc_collection_seconds_count")).isTrue();
        assertThat(metrics.has("process_cpu_seconds_total")).isTrue();
        assertThat(metrics.value("ballast_access_log_dropped_total")).isZero();
        assertThat(admin.get("/metrics").headers().firstValue("content-type")).hasValueSatisfying(type ->
                assertThat(type).startsWith("text/plain").contains("version=0.0.4"));
        Set<String> names = Set.copyOf(metrics.samples().stream().map(PrometheusText.Sample::name).toList());
        assertThat(names).allSatisfy(name -> assertThat(name).matches("[a-z_][a-z0-9_]*"));
    }

    @Test
    void theGrafanaDashboardQueriesOnlyMetricsThatAreExported() throws Exception {
        String dashboard = Files.readString(Path.of("..", "docs", "grafana-dashboard.json"));
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            for (int i = 0; i < 6; i++) {
                assertThat(get(client, "/flaky").status()).isEqualTo(200);
                assertThat(get(client, "/api").status()).isEqualTo(200);
            }
        }
        assertThat(admin.post("/reload").statusCode()).isEqualTo(200);
        Set<String> queried = new java.util.TreeSet<>();
        java.util.regex.Matcher names = java.util.regex.Pattern.compile("\\b((?:ballast|jvm|process)_[a-z_]+)")
                .matcher(dashboard);
        while (names.find()) {
            queried.add(names.group(1));
        }
        assertThat(queried).contains("ballast_requests_total", "ballast_request_duration_seconds_bucket",
                "ballast_upstream_requests_total", "ballast_endpoint_healthy", "jvm_memory_used_bytes");

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            PrometheusText metrics = admin.metrics();
            assertThat(queried).allSatisfy(name -> assertThat(metrics.has(name)).as(name).isTrue());
        });
    }

    @Test
    void metricsAddressIsTheAdminListenerNotTheProxyListener() throws Exception {
        InetSocketAddress listener = proxy.listenerAddresses().get(0);
        try (RawHttp client = RawHttp.connect(listener)) {
            assertThat(get(client, "/metrics").status()).as("no route for /metrics on the traffic listener").isEqualTo(404);
        }
    }
}
