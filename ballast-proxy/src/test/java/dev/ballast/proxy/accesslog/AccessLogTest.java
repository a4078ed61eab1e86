package dev.ballast.proxy.accesslog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.admin.ReloadOutcome;
import dev.ballast.proxy.testing.ConfigFiles;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code access_log}: one JSON line per request, with the right values. */
class AccessLogTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

    @TempDir
    Path dir;

    private TestBackend backend;
    private ProxyServer proxy;

    @BeforeEach
    void startBackend() {
        backend = TestBackend.start("svc", TestBackend.digestEcho());
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        backend.close();
    }

    private ProxyServer start(String accessLog) {
        return start(accessLog, "");
    }

    /** {@code upstreamKeys}: more keys of the upstream, as one YAML flow-mapping entry list, e.g. {@code idle_timeout: 1s}. */
    private ProxyServer start(String accessLog, String upstreamKeys) {
        Path file = dir.resolve("ballast.yaml");
        proxy = ProxyServer.start(ConfigFiles.write(file, config(accessLog, upstreamKeys)), file, false);
        return proxy;
    }

    private String config(String accessLog) {
        return config(accessLog, "");
    }

    private String config(String accessLog, String upstreamKeys) {
        return ConfigFiles.withLocalListeners("""
                upstreams:
                  svc:
                    endpoints: [%s]
                    %s
                routes:
                  - name: api
                    match: { path_prefix: /api }
                    upstream: svc
                """.formatted(backend.address(), upstreamKeys) + accessLog);
    }

    private ReloadOutcome reloadWith(String accessLog) throws Exception {
        Files.writeString(dir.resolve("ballast.yaml"), config(accessLog));
        return proxy.reload("test").get(10, TimeUnit.SECONDS);
    }

    @Test
    void aReloadTurnsTheLogOnMovesItAndTurnsItOffWithoutLosingALine() throws Exception {
        start("");
        Path first = dir.resolve("first.log");
        Path second = dir.resolve("second.log");
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            assertThat(client.send("GET /api/unlogged HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);

            ReloadOutcome on = reloadWith("access_log: { path: " + first + " }\n");
            assertThat(on.applied()).isTrue();
            assertThat(on.notes()).as("no restart needed").isEmpty();
            assertThat(proxy.config().accessLog().path()).isEqualTo(first.toString());
            for (int i = 0; i < 3; i++) {
                assertThat(client.send("GET /api/first HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
            }
            assertThat(lines(first, 3)).hasSize(3).allSatisfy(line -> assertThat(line.get("path").asText())
                    .isEqualTo("/api/first"));
        }

        // Move the log while two clients keep sending: every request lands in exactly one of the files.
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger sent = new AtomicInteger();
        List<Throwable> failures = new CopyOnWriteArrayList<>(); // thrown on a client's thread, they would go unseen
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
            clients.add(Thread.ofPlatform().start(() -> {
                try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
                    while (!stop.get()) {
                        int status = client.send("GET /api/moving HTTP/1.1\r\nHost: x\r\n\r\n").read().status();
                        sent.incrementAndGet(); // logged, whatever the status
                        if (status != 200) {
                            failures.add(new AssertionError("status " + status));
                        }
                    }
                } catch (Exception e) {
                    failures.add(e);
                }
            }));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> sent.get() >= 50);
        assertThat(reloadWith("access_log: { path: " + second + " }\n").applied()).isTrue();
        int atSwitch = sent.get();
        await().atMost(Duration.ofSeconds(5)).until(() -> sent.get() >= atSwitch + 50);
        stop.set(true);
        for (Thread client : clients) {
            assertThat(client.join(Duration.ofSeconds(5))).as("%s ended", client).isTrue();
        }
        assertThat(failures).as("what the clients met").isEmpty();
        int total = 3 + sent.get();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(Files.readAllLines(first).size() + Files.readAllLines(second).size()).isEqualTo(total));
        assertThat(Files.readAllLines(second)).as("lines after the switch").isNotEmpty();

        ReloadOutcome off = reloadWith("access_log: { enabled: false }\n");
        assertThat(off.applied()).isTrue();
        int secondLines = Files.readAllLines(second).size();
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            assertThat(client.send("GET /api/off HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
        }
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> Files.readAllLines(second).size() == secondLines);
    }

    @Test
    void aReloadReopensTheFileSoLogrotateCanMoveIt() throws Exception {
        Path log = dir.resolve("access.log");
        Path rotated = dir.resolve("access.log.1");
        start("access_log: { path: " + log + " }\n");
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            assertThat(client.send("GET /api/before HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
            assertThat(lines(log, 1)).hasSize(1);
            Files.move(log, rotated); // what logrotate does; the proxy still holds the file open

            assertThat(reloadWith("access_log: { path: " + log + " }\n").applied()).as("SIGHUP").isTrue();
            assertThat(client.send("GET /api/after HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
        }

        assertThat(lines(log, 1)).singleElement().satisfies(line ->
                assertThat(line.get("path").asText()).isEqualTo("/api/after"));
        assertThat(lines(rotated, 1)).singleElement().satisfies(line ->
                assertThat(line.get("path").asText()).isEqualTo("/api/before"));
    }

    @Test
    void aReloadToALogThatCannotBeOpenedIsRejectedAndTheOldLogGoesOn() throws Exception {
        Path log = dir.resolve("access.log");
        start("access_log: { path: " + log + " }\n");
        Path unwritable = dir.resolve("no-such-dir").resolve("access.log");

        ReloadOutcome outcome = reloadWith("access_log: { path: " + unwritable + " }\n");

        assertThat(outcome.applied()).isFalse();
        assertThat(outcome.errors()).singleElement().asString().contains("cannot open access_log.path " + unwritable);
        assertThat(proxy.generation()).isEqualTo(1);
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            assertThat(client.send("GET /api/still HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
        }
        assertThat(lines(log, 1)).singleElement().satisfies(line ->
                assertThat(line.get("path").asText()).isEqualTo("/api/still"));
    }

    private List<JsonNode> lines(Path log, int expected) throws Exception {
        await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(log) && Files.readAllLines(log).size() >= expected);
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            lines.add(JSON.readTree(line));
        }
        return lines;
    }

    @Test
    void writesOneJsonLinePerRequestWithEveryField() throws Exception {
        Path log = dir.resolve("access.log");
        start("access_log: { enabled: true, path: " + log + ", sample: 1.0 }\n");
        Instant before = Instant.now().minusSeconds(1);
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            client.send("POST /api/orders?id=7 HTTP/1.1\r\nHost: x\r\nUser-Agent: \"quoted\" agent/1.0\r\n"
                    + "traceparent: 00-" + TRACE_ID + "-00f067aa0ba902b7-01\r\nContent-Length: 5\r\n\r\nhello");
            RawHttp.Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(client.send("GET /elsewhere HTTP/1.1\r\nHost: x\r\nX-Request-Id: req-42\r\n"
                    + "traceparent: 00-" + TRACE_ID + "-b7ad6b7169203331-01\r\n\r\n").read().status()).isEqualTo(404);
        }

        List<JsonNode> lines = lines(log, 2);

        assertThat(lines).hasSize(2);
        JsonNode line = lines.get(0);
        List<String> fields = new ArrayList<>();
        line.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).containsExactly("time", "client", "method", "path", "status", "bytes_in", "bytes_out",
                "cut_short", "duration_ms", "upstream", "endpoint", "attempts", "route", "trace_id", "span_id", "parent_id", "request_id",
                "user_agent");
        assertThat(Instant.parse(line.get("time").asText())).isBetween(before, Instant.now());
        assertThat(line.get("client").asText()).isEqualTo("127.0.0.1");
        assertThat(line.get("method").asText()).isEqualTo("POST");
        assertThat(line.get("path").asText()).isEqualTo("/api/orders?id=7");
        assertThat(line.get("status").asInt()).isEqualTo(200);
        assertThat(line.get("bytes_in").asLong()).isEqualTo(5);
        assertThat(line.get("bytes_out").asLong()).isEqualTo(("5 " + backend.lastRequest().bodySha256()).length());
        assertThat(line.get("cut_short").isNull()).as("sent whole").isTrue();
        assertThat(line.get("duration_ms").isNumber()).isTrue();
        assertThat(line.get("duration_ms").asDouble()).isPositive().isLessThan(5_000);
        assertThat(line.get("upstream").asText()).isEqualTo("svc");
        assertThat(line.get("endpoint").asText()).isEqualTo(backend.address());
        assertThat(line.get("attempts").asInt()).isEqualTo(1);
        assertThat(line.get("route").asText()).isEqualTo("api");
        assertThat(line.get("trace_id").asText()).isEqualTo(TRACE_ID);
        String sent = backend.lastRequest().headers().get("traceparent");
        assertThat(line.get("span_id").asText()).as("the parent id the upstream saw").isEqualTo(sent.substring(36, 52));
        assertThat(line.get("parent_id").asText()).isEqualTo("00f067aa0ba902b7");
        assertThat(line.get("request_id").asText()).isEqualTo(backend.lastRequest().headers().get("x-request-id"));
        assertThat(line.get("user_agent").asText()).isEqualTo("\"quoted\" agent/1.0");

        JsonNode notFound = lines.get(1);
        assertThat(notFound.get("status").asInt()).isEqualTo(404);
        assertThat(notFound.get("route").isNull()).isTrue();
        assertThat(notFound.get("upstream").isNull()).isTrue();
        assertThat(notFound.get("endpoint").isNull()).isTrue();
        assertThat(notFound.get("trace_id").asText()).as("the client's, though it went nowhere").isEqualTo(TRACE_ID);
        assertThat(notFound.get("span_id").isNull()).isTrue();
        assertThat(notFound.get("parent_id").asText()).isEqualTo("b7ad6b7169203331");
        assertThat(notFound.get("request_id").asText()).isEqualTo("req-42");
        assertThat(notFound.get("user_agent").isNull()).isTrue();
        assertThat(notFound.get("attempts").asInt()).isZero();
        assertThat(notFound.get("bytes_out").asLong()).isPositive();
    }

    @Test
    void logsATunnelOnceItClosesWithStatus101AndTheBytesRelayedEachWay() throws Exception {
        backend.respondWith(TestBackend.switchToEcho("echo", "hello\n"));
        Path log = dir.resolve("access.log");
        start("access_log: { path: " + log + " }\n");
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            client.send("GET /api/chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(101);
            client.readBytes(6);
            client.send("0123456789");
            client.readBytes(10);
        }

        JsonNode line = lines(log, 1).get(0);
        assertThat(line.get("status").asInt()).isEqualTo(101);
        assertThat(line.get("path").asText()).isEqualTo("/api/chat");
        assertThat(line.get("bytes_in").asLong()).as("logged at the close, not at the 101").isEqualTo(10);
        assertThat(line.get("bytes_out").asLong()).as("greeting and echo").isEqualTo(16);
        assertThat(line.get("endpoint").asText()).isEqualTo(backend.address());
    }

    @Test
    void logsATunnelTheDrainTimeClosedAsCutShortShutdown() throws Exception {
        backend.respondWith(TestBackend.switchToEcho("echo", "hello\n"));
        Path log = dir.resolve("access.log");
        start("access_log: { path: " + log + " }\ndrain_timeout: 200ms\n");
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            client.send("GET /api/chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(101);
            client.readBytes(6);

            proxy.close(); // drains for 200 ms, then closes the tunnel still open, and flushes the log
            proxy = null;
        }

        JsonNode line = lines(log, 1).get(0);

        assertThat(line.get("status").asInt()).isEqualTo(101);
        assertThat(line.get("cut_short").asText()).isEqualTo("shutdown");
    }

    @Test
    void logsTheTraceIdTheUpstreamSawWhenTheProxyStartedTheTrace() throws Exception {
        Path log = dir.resolve("access.log");
        start("access_log: { path: " + log + " }\n");
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            assertThat(client.send("GET /api HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
        }

        JsonNode line = lines(log, 1).get(0);

        String sent = backend.lastRequest().headers().get("traceparent");
        assertThat(line.get("trace_id").asText()).hasSize(32).isEqualTo(sent.substring(3, 35));
        assertThat(backend.lastRequest().headers().get("x-request-id")).isEqualTo(line.get("trace_id").asText());
    }

    @Test
    void logsAClientThatHungUpAs499() throws Exception {
        Path log = dir.resolve("access.log");
        backend.respondWith(TestBackend.silent());
        start("access_log: { path: " + log + " }\n");
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            client.send("GET /api/slow HTTP/1.1\r\nHost: x\r\n\r\n");
            await().atMost(Duration.ofSeconds(5)).until(() -> backend.requests().size() == 1);
        }

        JsonNode line = lines(log, 1).get(0);

        assertThat(line.get("status").asInt()).isEqualTo(499);
        assertThat(line.get("endpoint").asText()).isEqualTo(backend.address());
    }

    @Test
    void logsARequestTheShutdownClosedBeforeItsAnswerAs444NotAsTheClientsDoing() throws Exception {
        Path log = dir.resolve("access.log");
        backend.respondWith(TestBackend.silent());
        start("access_log: { path: " + log + " }\ndrain_timeout: 200ms\n");
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            client.send("GET /api/slow HTTP/1.1\r\nHost: x\r\n\r\n");
            await().atMost(Duration.ofSeconds(5)).until(() -> backend.requests().size() == 1);

            proxy.close(); // drains for 200 ms, then closes the connection still waiting
            proxy = null;
        }

        JsonNode line = lines(log, 1).get(0);

        assertThat(line.get("status").asInt()).as("closed without a response, by the proxy").isEqualTo(444);
    }

    @Test
    void aHeadAnsweredByTheProxyLogsNoBodyBytesAndATimeoutAfterABodyLogsNoneOfIt() throws Exception {
        Path log = dir.resolve("access.log");
        start("access_log: { path: " + log + " }\nlimits: { header_read_timeout: 300ms }\n");
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            assertThat(client.send("HEAD /elsewhere HTTP/1.1\r\nHost: x\r\n\r\n").read(true).status()).isEqualTo(404);
            assertThat(client.send("POST /api HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello").read().status())
                    .isEqualTo(200);
            client.send("GET /api HTT"); // and no more: 408 once header_read_timeout passes
            assertThat(client.read().status()).isEqualTo(408);
        }

        List<JsonNode> lines = lines(log, 3);

        assertThat(lines.get(0).get("bytes_out").asLong()).as("the codec sends no body with a HEAD's answer").isZero();
        assertThat(lines.get(1).get("bytes_in").asLong()).isEqualTo(5);
        assertThat(lines.get(2).get("status").asInt()).isEqualTo(408);
        assertThat(lines.get(2).get("bytes_in").asLong()).as("the POST's body was the POST's").isZero();
    }

    @Test
    void aPipelinedRequestIsTimedFromWhenItArrivedNotFromWhenItsTurnCame() throws Exception {
        Path log = dir.resolve("access.log");
        backend.respondWith(TestBackend.delayed(Duration.ofMillis(400), TestBackend.digestEcho()));
        start("access_log: { path: " + log + " }\n");
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            client.send("GET /api/first HTTP/1.1\r\nHost: x\r\n\r\nGET /api/second HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
            assertThat(client.read().status()).isEqualTo(200);
        }

        List<JsonNode> lines = lines(log, 2);

        assertThat(lines.get(1).get("path").asText()).isEqualTo("/api/second");
        assertThat(lines.get(1).get("duration_ms").asDouble()).as("it waited for the first one's answer, then its own")
                .isGreaterThanOrEqualTo(780);
        assertThat(Instant.parse(lines.get(1).get("time").asText()))
                .isBefore(Instant.parse(lines.get(0).get("time").asText()).plusMillis(200));
    }

    @Test
    void logsAResponseTheUpstreamBrokeOffWithTheStatusSentAndCutShortUpstreamReset() throws Exception {
        Path log = dir.resolve("access.log");
        backend.respondWith(TestBackend.closeMidResponse()); // promises 1000 bytes, sends 10, closes
        start("access_log: { path: " + log + " }\n");
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            client.send("GET /api/file HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.read().body()).hasSizeLessThan(1000);
        }

        JsonNode line = lines(log, 1).get(0);

        assertThat(line.get("status").asInt()).isEqualTo(200);
        assertThat(line.get("cut_short").asText()).isEqualTo("upstream_reset");
        assertThat(line.get("bytes_out").asLong()).isEqualTo(10);
    }

    @Test
    void logsAResponseWhoseUpstreamWentQuietMidBodyAsCutShortUpstreamTimeout() throws Exception {
        Path log = dir.resolve("access.log");
        backend.respondWith(TestBackend.quietMidBody());
        start("access_log: { path: " + log + " }\n", "idle_timeout: 300ms");
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            client.send("GET /api/file HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.read().body()).hasSizeLessThan(10);
        }

        JsonNode line = lines(log, 1).get(0);

        assertThat(line.get("status").asInt()).isEqualTo(200);
        assertThat(line.get("cut_short").asText()).isEqualTo("upstream_timeout");
        assertThat(line.get("bytes_out").asLong()).isEqualTo(2);
    }

    @Test
    void logsAResponseTheClientLeftMidBodyAsCutShortClientClosed() throws Exception {
        Path log = dir.resolve("access.log");
        backend.respondWith(backend.stream(64L << 20, false)); // far more than the sockets' buffers hold
        start("access_log: { path: " + log + " }\n");
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            client.send("GET /api/download HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.read(true).status()).isEqualTo(200); // the head only
            client.readBytes(64 * 1024);
        }

        JsonNode line = lines(log, 1).get(0);

        assertThat(line.get("status").asInt()).isEqualTo(200);
        assertThat(line.get("cut_short").asText()).isEqualTo("client_closed");
        assertThat(line.get("bytes_out").asLong()).isBetween(64L * 1024, (64L << 20) - 1);
    }

    @Test
    void logsAResponseTheClientStoppedReadingAsCutShortClientTimeout() throws Exception {
        Path log = dir.resolve("access.log");
        backend.respondWith(backend.stream(64L << 20, false));
        start("access_log: { path: " + log + " }\nlimits: { client_stall_timeout: 300ms }\n");
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            client.send("GET /api/download HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.read(true).status()).isEqualTo(200);

            JsonNode line = lines(log, 1).get(0); // written while this client still holds its end open

            assertThat(line.get("status").asInt()).isEqualTo(200);
            assertThat(line.get("cut_short").asText()).isEqualTo("client_timeout");
        }
    }

    @Test
    void logsAResponseStillGoingWhenTheDrainTimeRanOutAsCutShortShutdown() throws Exception {
        Path log = dir.resolve("access.log");
        backend.respondWith(backend.stream(64L << 20, false));
        start("access_log: { path: " + log + " }\ndrain_timeout: 200ms\n");
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            client.send("GET /api/download HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.read(true).status()).isEqualTo(200);

            proxy.close(); // drains for 200 ms, then closes what is left, and flushes the log
            proxy = null;
        }

        JsonNode line = lines(log, 1).get(0);

        assertThat(line.get("status").asInt()).isEqualTo(200);
        assertThat(line.get("cut_short").asText()).isEqualTo("shutdown");
    }

    @Test
    void sampleZeroLogsNothingAndTheLogIsOffUnlessConfigured() throws Exception {
        Path sampled = dir.resolve("sampled.log");
        start("access_log: { path: " + sampled + ", sample: 0 }\n");
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            for (int i = 0; i < 20; i++) {
                assertThat(client.send("GET /api HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
            }
        }
        proxy.close(); // flushes the writer
        assertThat(Files.size(sampled)).isZero();
        proxy = null;

        start("");
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            assertThat(client.send("GET /api HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
        }
        assertThat(proxy.config().accessLog().enabled()).isFalse();
        try (var files = Files.list(dir)) {
            Iterator<Path> names = files.iterator();
            List<String> found = new ArrayList<>();
            names.forEachRemaining(path -> found.add(path.getFileName().toString()));
            assertThat(found).containsExactlyInAnyOrder("ballast.yaml", "sampled.log");
        }
    }

    @Test
    void sampleHalfLogsAboutHalf() throws Exception {
        Path log = dir.resolve("access.log");
        start("access_log: { path: " + log + ", sample: 50% }\n");
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            for (int i = 0; i < 400; i++) {
                assertThat(client.send("GET /api HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
            }
        }
        proxy.close();
        proxy = null;

        // Binomial(400, 0.5): 200 ± 20 is more than four standard deviations (10) either way.
        assertThat(Files.readAllLines(log).size()).isBetween(160, 240);
    }
}
