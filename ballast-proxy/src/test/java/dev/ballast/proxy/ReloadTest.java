package dev.ballast.proxy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.ballast.core.pick.EndpointSet;
import dev.ballast.core.state.EndpointState;
import dev.ballast.core.state.Health;
import dev.ballast.proxy.admin.ReloadOutcome;
import dev.ballast.proxy.config.ConfigLoader;
import dev.ballast.proxy.config.ConfigProblem;
import dev.ballast.proxy.config.ConfigResult;
import dev.ballast.proxy.config.IoTransport;
import dev.ballast.proxy.testing.AdminClient;
import dev.ballast.proxy.testing.ConfigFiles;
import dev.ballast.proxy.testing.TestNames;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import dev.ballast.proxy.upstream.Upstream;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Hot reload: a whole new configuration swapped in without losing a request. */
class ReloadTest {

    @TempDir
    Path dir;

    private final List<TestBackend> backends = new ArrayList<>();
    private TestBackend b1;
    private TestBackend b2;
    private TestBackend b3;
    private TestBackend extra;
    private Path file;
    private ProxyServer proxy;

    @BeforeEach
    void startBackends() {
        b1 = backend("b1");
        b2 = backend("b2");
        b3 = backend("b3");
        extra = backend("extra");
        file = dir.resolve("ballast.yaml");
    }

    private TestBackend backend(String name) {
        // A little service time, so that reloads meet requests in flight.
        TestBackend backend = TestBackend.start(name, TestBackend.delayed(Duration.ofMillis(2),
                (ctx, request) -> TestBackend.text(ctx, request, HttpResponseStatus.OK, name)));
        backends.add(backend);
        return backend;
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        backends.forEach(TestBackend::close);
    }

    /** {@code api} over the given {@code address: weight} lines; {@code /extra} routed to its own upstream if asked. */
    private String yaml(String endpoints, boolean extraRoute) {
        return ConfigFiles.withLocalListeners("""
                upstreams:
                  api:
                    balancer: weighted-round-robin
                    endpoints:
                %s
                  extra:
                    endpoints: [%s]
                routes:
                %s  - name: main
                    match: { path_prefix: / }
                    upstream: api
                """.formatted(endpoints, extra.address(), extraRoute ? """
                  - name: extra
                    match: { path_prefix: /extra }
                    upstream: extra
                """ : ""));
    }

    private static String endpoint(TestBackend backend, int weight) {
        return "      - { address: " + backend.address() + ", weight: " + weight + " }\n";
    }

    /** The four changes of the issue, in turn: weights, an endpoint added, one removed with a route added, and back. */
    private String variant(int i) {
        return switch (i % 4) {
            case 0 -> yaml(endpoint(b1, 1) + endpoint(b2, 1), false);
            case 1 -> yaml(endpoint(b1, 3) + endpoint(b2, 1), false);
            case 2 -> yaml(endpoint(b1, 3) + endpoint(b2, 1) + endpoint(b3, 2), false);
            default -> yaml(endpoint(b2, 1) + endpoint(b3, 2), true);
        };
    }

    private ProxyServer start(String yaml) {
        proxy = ProxyServer.start(ConfigFiles.write(file, yaml), file, false);
        return proxy;
    }

    private ReloadOutcome reloadWith(String yaml) throws Exception {
        ConfigFiles.write(file, yaml);
        return proxy.reload("test").get(10, TimeUnit.SECONDS);
    }

    private RawHttp.Response get(RawHttp client, String path) throws IOException {
        return client.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").read();
    }

    @Test
    void aReloadRenamesTheProxyInViaOrTurnsViaOff() throws Exception {
        start(yaml(endpoint(b1, 1), false) + "via: { pseudonym: edge-1 }\n");
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            assertThat(get(client, "/").status()).isEqualTo(200);
            assertThat(b1.lastRequest().headers().getAll("Via")).containsExactly("1.1 edge-1");

            assertThat(reloadWith(yaml(endpoint(b1, 1), false) + "via: { pseudonym: edge-2 }\n").applied()).isTrue();
            assertThat(get(client, "/").status()).isEqualTo(200);
            assertThat(b1.lastRequest().headers().getAll("Via")).containsExactly("1.1 edge-2");

            assertThat(reloadWith(yaml(endpoint(b1, 1), false) + "via: { enabled: false }\n").applied()).isTrue();
            assertThat(get(client, "/").status()).isEqualTo(200);
            assertThat(b1.lastRequest().headers().contains("Via")).isFalse();
        }
    }

    @Test
    void twentyReloadsUnderSteadyLoadFailNoRequestAndResetNoConnection() throws Exception {
        start(variant(0));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong served = new AtomicLong();
        Queue<String> failures = new ConcurrentLinkedQueue<>();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            String path = c == 0 ? "/extra/x" : "/api/" + c;
            Thread client = Thread.ofPlatform().name("client-" + c).start(() -> {
                // One keep-alive connection per client for the whole test: any reset is a failure.
                try (RawHttp connection = RawHttp.connect(proxy.listenerAddresses().get(0))) {
                    while (!stop.get()) {
                        RawHttp.Response response = get(connection, path);
                        if (response.status() != 200) {
                            failures.add(path + " -> " + response.status() + " " + response.text());
                        }
                        served.incrementAndGet();
                    }
                } catch (IOException e) {
                    failures.add(path + " -> " + e);
                }
            });
            clients.add(client);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> served.get() > 100);

        for (int i = 1; i <= 20; i++) {
            ReloadOutcome outcome = reloadWith(variant(i));
            assertThat(outcome.applied()).as("reload %d: %s", i, outcome.errors()).isTrue();
            long before = served.get();
            await().atMost(Duration.ofSeconds(10)).until(() -> served.get() > before + 40);
        }
        stop.set(true);
        for (Thread client : clients) {
            client.join(TimeUnit.SECONDS.toMillis(10));
        }

        assertThat(failures).isEmpty();
        assertThat(proxy.generation()).isEqualTo(21);
        assertThat(served.get()).isGreaterThan(20 * 40);
        assertThat(b1.requests()).isNotEmpty();
        assertThat(b3.requests()).isNotEmpty();
        assertThat(extra.requests()).as("the route added by reloads served its requests").isNotEmpty();
    }

    @Test
    void unchangedEndpointsKeepTheirStateAndPooledConnections() throws Exception {
        start(variant(0));
        Upstream api = proxy.upstreams().get("api");
        EndpointState first = api.balancer().registry().get(b1.address());
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            for (int i = 0; i < 10; i++) {
                assertThat(get(client, "/").status()).isEqualTo(200);
            }
            long requestsBefore = first.requests();

            assertThat(reloadWith(variant(2)).applied()).isTrue();

            assertThat(proxy.upstreams().get("api")).isSameAs(api);
            assertThat(api.balancer().registry().get(b1.address())).isSameAs(first);
            assertThat(first.endpoint().weight()).isEqualTo(3);
            assertThat(first.requests()).isEqualTo(requestsBefore);
            for (int i = 0; i < 12; i++) {
                assertThat(get(client, "/").status()).isEqualTo(200);
            }
        }
        assertThat(b1.connections()).as("the pooled connection was reused").isEqualTo(1);
        assertThat(b2.connections()).isEqualTo(1);
        assertThat(b3.requests()).as("the new endpoint takes traffic").isNotEmpty();
    }

    @Test
    void aRemovedEndpointFinishesItsRequestInFlightThenItsConnectionCloses() throws Exception {
        CompletableFuture<Void> answer = new CompletableFuture<>();
        b1.respondWith(TestBackend.held(answer,
                (ctx, request) -> TestBackend.text(ctx, request, HttpResponseStatus.OK, "b1, slowly")));
        start(yaml(endpoint(b1, 1), false));
        HttpClient client = HttpClient.newHttpClient();
        CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + proxy.listenerAddresses().get(0).getPort() + "/")).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(5)).until(() -> b1.requests().size() == 1);

        assertThat(reloadWith(yaml(endpoint(b2, 1), false)).applied()).isTrue();
        answer.complete(null); // the request in flight finishes after the reload

        HttpResponse<String> response = inFlight.get(10, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("b1, slowly");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(b1.openConnections()).as("not pooled: the endpoint is gone").isZero());
        try (RawHttp raw = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            assertThat(get(raw, "/").text()).isEqualTo("b2");
        }
        String metrics = AdminClient.of(proxy.adminAddress()).get("/metrics").body();
        assertThat(metrics).as("the request that finished after the reload brought no series back")
                .doesNotContain("endpoint=\"" + b1.address() + "\"").contains("endpoint=\"" + b2.address() + "\"");
    }

    @Test
    void aRemovedUpstreamFinishesItsRequestInFlightThenClosesItsConnections() throws Exception {
        CompletableFuture<Void> answer = new CompletableFuture<>();
        extra.respondWith(TestBackend.held(answer,
                (ctx, request) -> TestBackend.text(ctx, request, HttpResponseStatus.OK, "extra, slowly")));
        start(variant(3));
        HttpClient client = HttpClient.newHttpClient();
        CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + proxy.listenerAddresses().get(0).getPort() + "/extra")).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(5)).until(() -> extra.requests().size() == 1);
        String withoutExtra = ConfigFiles.withLocalListeners("""
                upstreams:
                  api:
                    endpoints: [%s]
                routes:
                  - match: { path_prefix: / }
                    upstream: api
                """.formatted(b2.address()));

        ReloadOutcome outcome = reloadWith(withoutExtra);

        assertThat(outcome.applied()).isTrue();
        assertThat(proxy.upstreams()).containsOnlyKeys("api");
        answer.complete(null); // the request in flight finishes after the reload
        assertThat(inFlight.get(10, TimeUnit.SECONDS).body()).isEqualTo("extra, slowly");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(extra.openConnections()).isZero());
        assertThat(AdminClient.of(proxy.adminAddress()).get("/metrics").body())
                .as("the request that finished after the reload brought no series back").doesNotContain("upstream=\"extra\"");
    }

    @Test
    void anInvalidConfigIsRejectedWithValidateMessagesAndTheOldOneKeepsServing() throws Exception {
        start(variant(0));
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger reloaderLog = (Logger) LoggerFactory.getLogger(Reloader.class);
        logs.start();
        reloaderLog.addAppender(logs);
        try {
            Files.writeString(file, variant(1).replace("balancer: weighted-round-robin", "balancr: weighted-round-robin")
                    .replace("weight: 3", "weight: 0"));
            List<String> expected = ConfigLoader.load(file).errors().stream().map(ConfigProblem::format).toList();
            assertThat(expected).hasSize(2);

            ReloadOutcome outcome = proxy.reload("test").get(10, TimeUnit.SECONDS);

            assertThat(outcome.applied()).isFalse();
            assertThat(outcome.errors()).isEqualTo(expected);
            assertThat(outcome.generation()).isEqualTo(1);
            assertThat(proxy.generation()).isEqualTo(1);
            List<String> logged = logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
            assertThat(logged).contains("error: " + expected.get(0), "error: " + expected.get(1));
            assertThat(logged.get(0)).contains("rejected", "still serving configuration 1");
        } finally {
            reloaderLog.detachAppender(logs);
        }
        assertThat(proxy.upstreams().get("api").balancer().members().get(0).endpoint().weight()).isEqualTo(1);
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            assertThat(get(client, "/").status()).isEqualTo(200);
        }
    }

    @Test
    void savingTheFileReloadsItAndSavingTheSameBytesDoesNot() throws Exception {
        proxy = ProxyServer.start(ConfigFiles.write(file, variant(0)), file, true);

        Files.writeString(file, variant(2));

        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.generation() == 2);
        assertThat(proxy.upstreams().get("api").balancer().members()).hasSize(3);
        Files.writeString(file, variant(2));
        await().during(Duration.ofMillis(3 * ConfigWatcher.DEBOUNCE_MILLIS)).atMost(Duration.ofSeconds(5))
                .until(() -> proxy.generation() == 2);
    }

    @Test
    void aSaveWhileTheProxyStartsBeforeTheWatchBeginsIsReloadedOnceItServes() throws Exception {
        ConfigFiles.write(file, variant(0));
        ConfigSource source = ConfigSource.file(file);
        ConfigResult read = source.load();
        assertThat(read.ok()).isTrue();
        Files.writeString(file, variant(2)); // after the read, before the watch: while listeners bind, say

        proxy = ProxyServer.start(read.config(), source, true);

        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.generation() == 2);
        assertThat(proxy.upstreams().get("api").balancer().members()).hasSize(3);
    }

    @Test
    void aProxyStartedFromTheFileAsItStillIsDoesNotReloadIt() throws Exception {
        ConfigFiles.write(file, variant(0));
        ConfigSource source = ConfigSource.file(file);

        proxy = ProxyServer.start(source.load().config(), source, true);

        await().during(Duration.ofMillis(3 * ConfigWatcher.DEBOUNCE_MILLIS)).atMost(Duration.ofSeconds(5))
                .until(() -> proxy.generation() == 1);
    }

    @Test
    void theWatcherSaysSoWhenTheFilesDirectoryGoesAwayForNoChangeWillBeSeenAgain() throws Exception {
        Path conf = Files.createDirectories(file.resolveSibling("conf"));
        Path watched = conf.resolve("ballast.yaml");
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger watcherLog = (Logger) LoggerFactory.getLogger(ConfigWatcher.class);
        logs.start();
        watcherLog.addAppender(logs);
        try {
            proxy = ProxyServer.start(ConfigFiles.write(watched, variant(0)), watched, true);

            Files.delete(watched);
            Files.delete(conf);

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(logs.list)
                    .extracting(ILoggingEvent::getFormattedMessage).contains("no longer watching " + watched
                            + " for changes: its directory went away (SIGHUP or POST /reload still reload it)"));
        } finally {
            watcherLog.detachAppender(logs);
        }
    }

    @Test
    void aLogWrittenBesideTheFileDoesNotHoldItsReloadBack() throws Exception {
        proxy = ProxyServer.start(ConfigFiles.write(file, variant(0)), file, true);
        Path log = file.resolveSibling("ballast.log"); // as with `ballast run -c ballast.yaml > ballast.log`
        ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor();
        // A line every quarter of the debounce time: the directory is never quiet for that long.
        writer.scheduleAtFixedRate(() -> {
            try {
                Files.writeString(log, "a line\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, 0, ConfigWatcher.DEBOUNCE_MILLIS / 4, TimeUnit.MILLISECONDS);
        try {
            Files.writeString(file, variant(2));

            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.generation() == 2);
            assertThat(proxy.upstreams().get("api").balancer().members()).hasSize(3);
        } finally {
            writer.shutdownNow();
            assertThat(writer.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void aFileSavedFarTooLargeIsRejectedAndTheWatcherStillSeesTheNextSave() throws Exception {
        proxy = ProxyServer.start(ConfigFiles.write(file, variant(0)), file, true);
        try (var huge = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            huge.setLength(300L << 20); // sparse: a wrong file moved over the config, as a disk image would be
        }

        ReloadOutcome outcome = proxy.reload("test").get(10, TimeUnit.SECONDS);
        assertThat(outcome.applied()).isFalse();
        assertThat(outcome.errors()).singleElement().asString().contains("larger than 4 MiB");
        assertThat(proxy.generation()).isEqualTo(1);

        Files.writeString(file, variant(2));
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.generation() == 2);
        assertThat(proxy.upstreams().get("api").balancer().members()).hasSize(3);
    }

    @Test
    void aShutdownAnswersAReloadItDroppedInsteadOfLeavingItUnanswered() throws Exception {
        start(variant(0));
        try (ServerSocket silentEtcd = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            // An upstream discovered from an etcd that accepts and never answers: applying waits for it.
            ConfigFiles.write(file, variant(1).replace("upstreams:\n", """
                    upstreams:
                      registry:
                        discovery: { etcd: { prefix: /services/registry/ } }
                    """) + "etcd: { endpoints: [\"http://127.0.0.1:" + silentEtcd.getLocalPort() + "\"], timeout: 5s }\n");
            CompletableFuture<ReloadOutcome> first = proxy.reload("slow");
            CompletableFuture<ReloadOutcome> queued = proxy.reload("queued"); // waits behind it

            proxy.close();
            proxy = null;

            assertThat(queued).failsWithin(Duration.ofSeconds(10)).withThrowableThat()
                    .withMessageContaining("the proxy stopped before this reload was applied");
            // Applied, or dropped before it began: answered either way.
            assertThat(first.handle((outcome, failure) -> true)).succeedsWithin(Duration.ofSeconds(10));
        }
    }

    @Test
    void aReloadLooksTheEndpointsNamesUpOffTheControlPathAndThenServesThem() throws Exception {
        start(variant(0));
        String named = "b3" + TestNames.HELD_SUFFIX + ":" + b3.port();
        String withTheName = endpoint(b1, 1) + endpoint(b2, 1) + "      - { address: " + named + ", weight: 1 }\n";

        assertThat(reloadWhileItsLookupsAreHeld(withTheName).lookups())
                .as("once, before the apply, and not again during it").isEqualTo(1);
        assertThat(proxy.upstreams().get("api").balancer().members()).extracting(EndpointState::address)
                .contains(named);
        assertThat(servedBy(6)).as("the named endpoint serves at the address looked up").contains("b3");

        // A new timeout rebuilds the upstream, which looks its names up afresh: off the control path too.
        assertThat(reloadWhileItsLookupsAreHeld(withTheName + "    connect_timeout: 2s\n").lookups()).isEqualTo(1);
        assertThat(proxy.upstreams().get("api").config().connectTimeoutMillis()).isEqualTo(2_000);
        assertThat(servedBy(6)).contains("b3");
    }

    /**
     * Reloads {@code api} with {@code endpoints}, holding the lookups of its held names until the
     * control path has been seen free while they wait; then lets them through and awaits the reload.
     */
    private TestNames.Hold reloadWhileItsLookupsAreHeld(String endpoints) throws Exception {
        try (TestNames.Hold lookups = TestNames.hold()) {
            ConfigFiles.write(file, yaml(endpoints, false));
            CompletableFuture<ReloadOutcome> reload = proxy.reload("test");
            assertThat(lookups.lookupStarted(10)).as("the name is being looked up").isTrue();

            // A resolver that does not answer must not stall health checks, ejections and other reloads.
            CountDownLatch ran = new CountDownLatch(1);
            proxy.controlPath().execute(ran::countDown);
            assertThat(ran.await(5, TimeUnit.SECONDS)).as("the control path is free during the lookup").isTrue();
            assertThat(reload).as("applied once the name is looked up").isNotDone();

            lookups.release();
            assertThat(reload.get(10, TimeUnit.SECONDS).applied()).isTrue();
            return lookups;
        }
    }

    private Set<String> servedBy(int requests) throws IOException {
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            Set<String> served = new HashSet<>();
            for (int i = 0; i < requests; i++) {
                served.add(get(client, "/").text());
            }
            return served;
        }
    }

    @Test
    void aConfigurationAppliedAfterTheProxyStoppedFailsSayingSo() throws Exception {
        start(variant(0));
        ProxyServer stopped = proxy;
        stopped.close();
        proxy = null;

        assertThat(stopped.apply(ConfigFiles.write(file, variant(1)), "late")).failsWithin(Duration.ofSeconds(10))
                .withThrowableThat().withMessageContaining("the proxy stopped before this reload was applied");
    }

    @Test
    void listenerChangesNeedARestartAndTheReloadSaysSo() throws Exception {
        start(variant(0));
        int port = proxy.listenerAddresses().get(0).getPort();
        int other;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            other = socket.getLocalPort();
        }

        ReloadOutcome outcome = reloadWith(variant(1).replace("address: 127.0.0.1:0\nadmin", "address: 127.0.0.1:"
                + other + "\nadmin"));

        assertThat(outcome.applied()).isTrue();
        assertThat(outcome.notes()).containsExactly("listeners changed: restart to apply");
        assertThat(proxy.listenerAddresses().get(0).getPort()).isEqualTo(port);
        assertThat(proxy.config().listeners().get(0).address().port()).as("the effective config").isZero();
        assertThat(proxy.upstreams().get("api").balancer().members().get(0).endpoint().weight())
                .as("the rest applies").isEqualTo(3);
    }

    @Test
    void anEventLoopSliceChangeNeedsARestartAndTheReloadSaysSo() throws Exception {
        start(variant(0) + "event_loop_slice: 0\n");

        ReloadOutcome outcome = reloadWith(variant(1) + "event_loop_slice: 1ms\n");

        assertThat(outcome.notes()).containsExactly("event_loop_slice changed: restart to apply");
        assertThat(proxy.config().eventLoopSliceMicros()).as("the effective config").isZero();
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            assertThat(get(client, "/").status()).as("loops that never yield serve as any other").isEqualTo(200);
        }
    }

    @Test
    void aKernelSliceChangeNeedsARestartAndTheReloadSaysSo() throws Exception {
        start(variant(0) + "event_loop_kernel_slice: 0\n");

        ReloadOutcome outcome = reloadWith(variant(1) + "event_loop_kernel_slice: 2ms\n");

        assertThat(outcome.notes()).containsExactly("event_loop_kernel_slice changed: restart to apply");
        assertThat(proxy.config().eventLoopKernelSliceMicros()).as("the effective config").isZero();
        assertThat(proxy.kernelSlice()).isEqualTo("off");
    }

    @Test
    void anEventLoopCountChangeNeedsARestartAndTheReloadSaysSo() throws Exception {
        start(variant(0) + "event_loops: 1\n");
        assertThat(proxy.eventLoops()).isEqualTo(1);

        ReloadOutcome outcome = reloadWith(variant(1) + "event_loops: 2\n");

        assertThat(outcome.notes()).containsExactly("event_loops changed: restart to apply");
        assertThat(proxy.eventLoops()).isEqualTo(1);
        assertThat(proxy.config().eventLoops()).as("the effective config").isEqualTo(1);
        assertThat(proxy.upstreams().get("api").balancer().members().get(0).endpoint().weight())
                .as("the rest applies").isEqualTo(3);
    }

    @Test
    void aTransportChangeNeedsARestartAndTheReloadSaysSo() throws Exception {
        start(variant(0));
        String running = proxy.transport();

        ReloadOutcome outcome = reloadWith(variant(1) + "transport: nio\n");

        assertThat(outcome.applied()).isTrue();
        assertThat(outcome.notes()).containsExactly("transport changed: restart to apply");
        assertThat(proxy.transport()).isEqualTo(running);
        assertThat(proxy.config().transport()).as("the effective config").isEqualTo(IoTransport.DEFAULT);
        assertThat(proxy.upstreams().get("api").balancer().members().get(0).endpoint().weight())
                .as("the rest applies").isEqualTo(3);
    }

    @Test
    void aRebuiltUpstreamKeepsAnUnhealthyVerdictAndADrainOfTheEndpointsThatStay() throws Exception {
        String checked = yaml(endpoint(b1, 1) + endpoint(b2, 1) + endpoint(b3, 1), false).replace(
                "balancer: weighted-round-robin", """
                balancer: weighted-round-robin
                    health_check: { path: /healthz, interval: 100ms, unhealthy_threshold: 1, healthy_threshold: 2 }""");
        start(checked);
        b2.respondWith((ctx, request) -> TestBackend.text(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE, "down"));
        await().atMost(Duration.ofSeconds(10)).until(() -> stateOf("api", b2).health() == Health.UNHEALTHY);
        assertThat(AdminClient.of(proxy.adminAddress()).post("/upstreams/api/endpoints/" + b3.address() + "/drain")
                .statusCode()).isEqualTo(200);
        Upstream before = proxy.upstreams().get("api");

        ReloadOutcome outcome = reloadWith(checked.replace("balancer: weighted-round-robin",
                "balancer: weighted-round-robin\n    response_timeout: 3s"));

        assertThat(outcome.applied()).isTrue();
        assertThat(proxy.upstreams().get("api")).as("rebuilt").isNotSameAs(before);
        assertThat(stateOf("api", b2).health()).isEqualTo(Health.UNHEALTHY);
        assertThat(stateOf("api", b3).isDraining()).isTrue();
        int b2Before = b2.requests().size();
        int b3Before = b3.requests().size();
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            for (int i = 0; i < 20; i++) {
                assertThat(get(client, "/").text()).isEqualTo("b1");
            }
        }
        assertThat(b2.requests().stream().skip(b2Before).map(TestBackend.Recorded::uri))
                .as("health checks only").allMatch("/healthz"::equals);
        assertThat(b3.requests().stream().skip(b3Before).map(TestBackend.Recorded::uri))
                .as("health checks only").allMatch("/healthz"::equals);

        b2.respondWith((ctx, request) -> TestBackend.text(ctx, request, HttpResponseStatus.OK, "b2"));
        await("its checks bring it back").atMost(Duration.ofSeconds(10))
                .until(() -> stateOf("api", b2).health() == Health.HEALTHY);
    }

    @Test
    void aRebuiltUpstreamRampsTheEndpointsItAddsAndKeepsTheRampsUnderWay() throws Exception {
        String slowStart = "balancer: weighted-round-robin\n    slow_start: 60s";
        start(yaml(endpoint(b1, 1) + endpoint(b2, 1), false).replace("balancer: weighted-round-robin", slowStart));
        assertThat(reloadWith(yaml(endpoint(b1, 1) + endpoint(b2, 1) + endpoint(b3, 1), false)
                .replace("balancer: weighted-round-robin", slowStart)).applied()).isTrue();
        EndpointState joinedInPlace = stateOf("api", b3);
        assertThat(joinedInPlace.rampExempt()).as("b3 joined by a reload in place: it ramps").isFalse();
        long b3RampStart = joinedInPlace.eligibleSinceNanos();
        Upstream before = proxy.upstreams().get("api");
        TestBackend b4 = backend("b4");
        long reloaded = System.nanoTime();

        ReloadOutcome outcome = reloadWith(yaml(endpoint(b1, 1) + endpoint(b2, 1) + endpoint(b3, 1) + endpoint(b4, 1),
                false).replace("balancer: weighted-round-robin", slowStart + "\n    response_timeout: 3s"));

        assertThat(outcome.applied()).isTrue();
        assertThat(proxy.upstreams().get("api")).as("rebuilt").isNotSameAs(before);
        assertThat(stateOf("api", b1).rampExempt()).as("b1, a first member, stays at full weight").isTrue();
        assertThat(stateOf("api", b2).rampExempt()).isTrue();
        assertThat(stateOf("api", b3).rampExempt()).as("b3 still ramps").isFalse();
        assertThat(stateOf("api", b3).eligibleSinceNanos()).as("from where it started").isEqualTo(b3RampStart);
        assertThat(stateOf("api", b4).rampExempt()).as("b4, added by the rebuild, ramps").isFalse();
        assertThat(stateOf("api", b4).eligibleSinceNanos()).as("from the reload").isGreaterThanOrEqualTo(reloaded);
        assertThat(weightOf("api", b4)).as("b4's weight, next to b1's").isLessThan(weightOf("api", b1));
        assertThat(weightOf("api", b3)).isLessThan(weightOf("api", b1));
    }

    /** The weight {@code backend} has in its upstream's balancer now: its share so far, while it ramps. */
    private int weightOf(String upstream, TestBackend backend) {
        EndpointSet set = proxy.upstreams().get(upstream).balancer().endpoints();
        return set.weight(set.indexOf(stateOf(upstream, backend)));
    }

    private EndpointState stateOf(String upstream, TestBackend backend) {
        return proxy.upstreams().get(upstream).balancer().registry().get(backend.address());
    }

    @Test
    void aChangedTimeoutRebuildsTheUpstreamAndTheRoutesFollow() throws Exception {
        start(variant(0));
        Upstream before = proxy.upstreams().get("api");

        ReloadOutcome outcome = reloadWith(variant(0).replace("balancer: weighted-round-robin",
                "balancer: weighted-round-robin\n    response_timeout: 3s"));

        assertThat(outcome.applied()).isTrue();
        Upstream after = proxy.upstreams().get("api");
        assertThat(after).isNotSameAs(before);
        assertThat(after.config().responseTimeoutMillis()).isEqualTo(3_000);
        assertThat(proxy.routes().get(0).targets().getFirst().upstream()).isSameAs(after);
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            assertThat(get(client, "/").status()).isEqualTo(200);
        }
    }
}
