package dev.ballast.proxy.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.testing.AdminClient;
import dev.ballast.proxy.testing.ConfigFiles;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * The dashboard in a real browser: Debian's headless Chromium loads the page from the admin listener,
 * runs its script against the live API, and the test reads the DOM it rendered and the console
 * messages it logged. {@code .ci/run} installs Chromium and sets {@code BALLAST_REQUIRE_CHROMIUM}, so
 * there a missing browser fails the test instead of skipping it.
 */
class DashboardBrowserTest {

    /** What Chromium logs to stderr for every console message and uncaught error of the page. */
    private static final Pattern CONSOLE = Pattern.compile(".*:CONSOLE[:(].*");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private TestBackend one;
    private TestBackend two;
    private ProxyServer proxy;
    private final AtomicBoolean trafficStop = new AtomicBoolean();
    private Thread traffic;

    @BeforeEach
    void start() {
        one = TestBackend.named("one");
        two = TestBackend.named("two");
        Path file = dir.resolve("ballast.yaml");
        proxy = ProxyServer.start(ConfigFiles.write(file, ConfigFiles.withLocalListeners("""
                upstreams:
                  api:
                    balancer: least-request
                    endpoints: [%s, %s]
                    health_check: { path: /healthz, interval: 300ms, timeout: 1s, unhealthy_threshold: 2, healthy_threshold: 1 }
                routes:
                  - name: everything
                    match: { path_prefix: / }
                    upstream: api
                """.formatted(one.address(), two.address()))), file, false);
        traffic = Thread.ofPlatform().name("traffic").start(() -> {
            while (!trafficStop.get()) {
                try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
                    while (!trafficStop.get()) {
                        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").read();
                        Thread.sleep(5);
                    }
                } catch (IOException e) {
                    // the proxy closed the connection (a backend went away mid-request): reconnect
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    @AfterEach
    void stop() throws InterruptedException {
        trafficStop.set(true);
        traffic.join(TimeUnit.SECONDS.toMillis(10));
        proxy.close();
        one.close();
        if (two != null) {
            two.close();
        }
    }

    @Test
    void pageRendersWithoutConsoleErrorsAndShowsAnEndpointTurningUnhealthy() throws Exception {
        String chromium = chromium();
        String url = "http://127.0.0.1:" + proxy.adminAddress().getPort() + "/";
        AdminClient admin = AdminClient.of(proxy.adminAddress());
        // Some traffic, so the charts have something to draw, and both endpoints checked healthy.
        await().atMost(Duration.ofSeconds(10)).until(() -> admin.get("/stats").body().contains(one.address())
                && !admin.get("/status").body().contains("\"health\" : \"unhealthy\""));

        Run healthy = run(chromium, "--virtual-time-budget=4000", "--dump-dom", url);

        assertThat(healthy.consoleMessages()).isEmpty();
        assertThat(healthy.stdout()).contains("data-upstream=\"api\"", "data-rendered=");
        assertThat(healthy.stdout()).containsPattern(row(one.address(), "healthy"));
        assertThat(healthy.stdout()).containsPattern(row(two.address(), "healthy"));
        assertThat(healthy.stdout()).contains("<canvas");

        String stopped = two.address();
        two.close();
        two = null;
        // The event is recorded a moment after the endpoint's health changes: wait for both.
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            String status = admin.get("/status").body();
            return status.contains("\"health\" : \"unhealthy\"") && status.contains("healthy -> unhealthy");
        });
        // And a second without requests to it: its latency cells then show none, not that of its last busy second.
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            JsonNode p99 = JSON.readTree(admin.get("/stats").body()).path("upstreams").path("api").path("endpoints")
                    .path(stopped).path("p99_ms");
            return p99.size() > 0 && p99.get(p99.size() - 1).isNull();
        });

        Run unhealthy = run(chromium, "--virtual-time-budget=4000", "--dump-dom", url);

        assertThat(unhealthy.consoleMessages()).isEmpty();
        assertThat(unhealthy.stdout()).containsPattern(row(stopped, "unhealthy"));
        assertThat(unhealthy.stdout()).containsPattern(row(stopped, "unhealthy") + "(?:(?!</tr>).)*"
                + "<td class=\"num\">–</td><td class=\"num\">–</td><td class=\"num\">");
        assertThat(unhealthy.stdout()).containsPattern(row(one.address(), "healthy"));
        assertThat(unhealthy.stdout()).contains("data-kind=\"health\"", "healthy -&gt; unhealthy");

        Path screenshot = Path.of("target", "dashboard.png").toAbsolutePath();
        Files.deleteIfExists(screenshot);
        Run shot = run(chromium, "--virtual-time-budget=4000", "--window-size=1280,900", "--hide-scrollbars",
                "--screenshot=" + screenshot, url);
        assertThat(shot.consoleMessages()).isEmpty();
        byte[] png = Files.readAllBytes(screenshot);
        assertThat(png).startsWith(0x89, 'P', 'N', 'G');
    }

    @Test
    void aBrokenAnswerDoesNotStopThePollingAndAFailedPollMarksThePageStale() throws Exception {
        String chromium = chromium();
        String valid = "{\"ready\":true,\"generation\":1,\"config_loaded_at\":\"2026-11-29T00:00:00Z\","
                + "\"listeners\":[],\"upstreams\":[],\"events\":[]}";
        // First an answer the page cannot draw, then a good one, then the API fails.
        try (StubAdmin stub = StubAdmin.answering(List.of("{\"ready\":true}", valid), 503)) {
            Run run = run(chromium, "--virtual-time-budget=5000", "--dump-dom", stub.url());

            assertThat(run.consoleMessages()).isEmpty();
            assertThat(stub.statusPolls()).as("polled on after the answer it could not draw").isGreaterThanOrEqualTo(3);
            assertThat(run.stdout()).contains("data-rendered=", "data-stale=\"true\"", "/status answered HTTP 503",
                    "showing data from");
        }
    }

    /** The dashboard's files, and a /status that answers in turn what it is given, then an error. */
    private static final class StubAdmin implements AutoCloseable {

        private final HttpServer server;
        private final AtomicInteger statusPolls = new AtomicInteger();

        private StubAdmin(HttpServer server) {
            this.server = server;
        }

        static StubAdmin answering(List<String> statuses, int thenStatus) throws IOException {
            StubAdmin stub = new StubAdmin(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0));
            stub.server.createContext("/", exchange -> {
                String path = exchange.getRequestURI().getPath();
                exchange.getRequestBody().readAllBytes();
                int code = 200;
                String type = "application/json";
                byte[] body;
                switch (path) {
                    case "/status" -> {
                        int poll = stub.statusPolls.getAndIncrement();
                        if (poll < statuses.size()) {
                            body = statuses.get(poll).getBytes(StandardCharsets.UTF_8);
                        } else {
                            code = thenStatus;
                            body = "down\n".getBytes(StandardCharsets.UTF_8);
                        }
                    }
                    case "/stats" -> body = "{\"interval_ms\":1000,\"times\":[],\"upstreams\":{}}"
                            .getBytes(StandardCharsets.UTF_8);
                    default -> {
                        String file = path.equals("/") ? "index.html" : path.substring(1);
                        type = file.endsWith(".js") ? "text/javascript" : file.endsWith(".css") ? "text/css" : "text/html";
                        try (InputStream in = DashboardBrowserTest.class.getResourceAsStream("dashboard/" + file)) {
                            if (in == null) {
                                code = 404;
                                body = new byte[0];
                            } else {
                                body = in.readAllBytes();
                            }
                        }
                    }
                }
                exchange.getResponseHeaders().set("Content-Type", type);
                exchange.sendResponseHeaders(code, body.length == 0 ? -1 : body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            stub.server.start();
            return stub;
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
        }

        int statusPolls() {
            return statusPolls.get();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    private static String row(String address, String state) {
        return "data-endpoint=\"" + Pattern.quote(address) + "\" data-state=\"" + state + "\"";
    }

    private record Run(String stdout, List<String> consoleMessages) {
    }

    private Run run(String chromium, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--user-data-dir=" + Files.createTempDirectory(dir, "chromium"),
                "--enable-logging=stderr", "--v=0"));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "stdout", ".html");
        Path err = Files.createTempFile(dir, "stderr", ".txt");
        Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly); // its renderers and zygotes too
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("chromium did not finish within 60 s: " + Files.readString(err));
        }
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("chromium exit code; stderr:\n%s", stderr).isZero();
        List<String> console = stderr.lines().filter(line -> CONSOLE.matcher(line).matches()).toList();
        return new Run(Files.readString(out, StandardCharsets.UTF_8), console);
    }

    /** Chromium on the PATH; without one the test is skipped, unless CI asks for it to be there. */
    private static String chromium() {
        for (String name : new String[] {"chromium", "chromium-browser", "google-chrome"}) {
            for (String directory : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                if (Files.isExecutable(Path.of(directory, name))) {
                    return Path.of(directory, name).toString();
                }
            }
        }
        String required = System.getenv("BALLAST_REQUIRE_CHROMIUM");
        assertThat(required).as("BALLAST_REQUIRE_CHROMIUM is set but no chromium is on the PATH").isNull();
        assumeThat((String) null).as("chromium not installed (apt-get install chromium)").isNotNull();
        return null;
    }
}
