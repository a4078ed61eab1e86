package dev.ballast.dist;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.awaitility.Awaitility.await;

/**
 * {@code bin/ballast} as a user runs it, on the jar this build packaged: how it finds a JDK, which JVM
 * options it passes, and the exit codes of its commands. Run by failsafe after {@code package}, so the
 * jar is newer than every source and the launcher does not build.
 */
class LauncherIT {

    private static final Path HOME = Path.of(System.getProperty("ballast.home", "..")).toAbsolutePath().normalize();
    private static final Path LAUNCHER = HOME.resolve("bin/ballast");

    @Test
    void versionRunsThePackagedJar() throws Exception {
        Run run = launch(Map.of(), "version");

        assertThat(run.exit).isZero();
        assertThat(run.output).contains("ballast ").doesNotContain("building");
    }

    @Test
    void extraJavaOptionsAreAddedAfterTheDefaultsAndWinOverThem() throws Exception {
        Run run = launch(Map.of("BALLAST_JAVA_OPTS_EXTRA", "-XX:+PrintCommandLineFlags -Xmx256m"), "version");

        assertThat(run.exit).isZero();
        assertThat(run.output)
                .contains("-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError", "-XX:NewSize=67108864") // kept
                .contains("-XX:MaxHeapSize=268435456"); // 256 MiB, not the default 192
    }

    @Test
    void javaOptionsReplaceTheDefaults() throws Exception {
        Run run = launch(Map.of("BALLAST_JAVA_OPTS", "-XX:+PrintCommandLineFlags"), "version");

        assertThat(run.exit).isZero();
        assertThat(run.output).contains("-XX:+PrintCommandLineFlags").doesNotContain("-XX:+ExitOnOutOfMemoryError");
    }

    @Test
    void noJdkToRunOnExitsThreeNotOneWhichValidateSaysOfAnInvalidFile(@TempDir Path dir) throws Exception {
        Path old = dir.resolve("jdk-17");
        fakeJdk(old, "17.0.9");
        Path empty = Files.createDirectories(dir.resolve("jvms"));
        // The only java and javac on PATH are the old one's.
        String path = old.resolve("bin") + ":/usr/bin:/bin";

        Run run = launch(Map.of("JAVA_HOME", old.toString(), "BALLAST_JDK_DIR", empty.toString(), "PATH", path),
                "validate", "-c", "examples/ballast.yaml");

        assertThat(run.output).contains("no JDK 21 or newer found");
        assertThat(run.exit).isEqualTo(3);
    }

    @Test
    void aJavaHomeOlderThan21IsPassedOverForAnotherJdk(@TempDir Path dir) throws Exception {
        Path old = dir.resolve("jdk-17");
        fakeJdk(old, "17.0.9");
        // The launcher looks at JAVA_HOME, then /usr/lib/jvm, then the javac on PATH: this JVM's JDK is
        // on PATH, so there is always one to find.
        String path = Path.of(System.getProperty("java.home"), "bin") + ":" + System.getenv("PATH");

        Run run = launch(Map.of("JAVA_HOME", old.toString(), "PATH", path), "version");

        assertThat(run.exit).isZero();
        assertThat(run.output).contains("ballast ").doesNotContain("17.0.9");
    }

    @Test
    void theNewestJdkUnderTheJdkDirectoryIsChosenWhateverItsName(@TempDir Path dir) throws Exception {
        assumeTrue(Runtime.version().feature() > 21, "this JVM's JDK is newer than the fake 21 beside it");
        // As on Ubuntu with default-jdk (21) and a JDK 25 installed beside it: "default-java" sorts first.
        Path older = dir.resolve("jdk-21-real");
        fakeJdk(older, "21.0.4");
        Files.createSymbolicLink(dir.resolve("default-java"), older);
        Files.createSymbolicLink(dir.resolve("java-25-openjdk-amd64"), Path.of(System.getProperty("java.home")));

        Run run = launch(Map.of("JAVA_HOME", "", "BALLAST_JDK_DIR", dir.toString()), "version");

        assertThat(run.exit).as(run.output).isZero();
        assertThat(run.output).contains("ballast ").doesNotContain("21.0.4");
    }

    @Test
    void aJdkDirectoryWhosePathHoldsASpaceIsSearched(@TempDir Path dir) throws Exception {
        Path jdks = Files.createDirectories(dir.resolve("my jdks"));
        Files.createSymbolicLink(jdks.resolve("java-25"), Path.of(System.getProperty("java.home")));
        // The javac on PATH, where the launcher looks last, is too old: only the directory has a JDK to find.
        Path old = dir.resolve("jdk-17");
        fakeJdk(old, "17.0.9");

        Run run = launch(Map.of("JAVA_HOME", "", "BALLAST_JDK_DIR", jdks.toString(),
                "PATH", old.resolve("bin") + ":/usr/bin:/bin"), "version");

        assertThat(run.exit).as(run.output).isZero();
        assertThat(run.output).contains("ballast ").doesNotContain("no JDK");
    }

    @Test
    void aJavaToolOptionsVariableDoesNotHideTheJdk() throws Exception {
        // The JVM then says "Picked up JAVA_TOOL_OPTIONS: ..." before its version line.
        Run run = launch(Map.of("JAVA_TOOL_OPTIONS", "-Dballast.launcher-it=1", "JAVA_HOME",
                System.getProperty("java.home")), "version");

        assertThat(run.exit).as(run.output).isZero();
        assertThat(run.output).contains("ballast ").doesNotContain("no JDK");
    }

    @Test
    void validateExitsOneAndNamesTheFieldAndLine(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("ballast.yaml");
        Files.writeString(config, """
                listeners:
                  - name: public
                    address: 127.0.0.1:8080
                upstreams:
                  api:
                    endpoints: [127.0.0.1:9001, 127.0.0.1:70000]
                routes:
                  - match: { path_prefix: / }
                    upstream: api
                """);

        Run run = launch(Map.of(), "validate", "-c", config.toString());

        assertThat(run.exit).isEqualTo(1);
        assertThat(run.output).contains("upstreams.api.endpoints[1]: port 70000 out of range", "(line 6)")
                .doesNotContain("Exception");
    }

    @Test
    void validateOfTheShippedExampleExitsZero() throws Exception {
        Run run = launch(Map.of(), "validate", "-c", HOME.resolve("examples/ballast.yaml").toString());

        assertThat(run.exit).as(run.output).isZero();
    }

    @Test
    void aPatternInTheJavaOptionsIsPassedAsWrittenNotMatchedAgainstFileNames(@TempDir Path dir) throws Exception {
        Files.createFile(dir.resolve("-Dballast.launcher-it=matched"));

        Run run = launch(LAUNCHER, dir, Map.of("BALLAST_JAVA_OPTS_EXTRA",
                "-XshowSettings:properties -Dballast.launcher-it=*"), "version");

        assertThat(run.exit).as(run.output).isZero();
        assertThat(run.output).contains("ballast.launcher-it = *").doesNotContain("matched");
    }

    /** A test source, or a source of a module the jar does not hold (the client library). */
    @ParameterizedTest
    @ValueSource(strings = {"ballast-proxy/src/test/java/SomeTest.java", "ballast-client/src/main/java/Some.java"})
    void aChangedSourceTheJarIsNotBuiltFromDoesNotMakeTheLauncherRebuildIt(String source, @TempDir Path dir)
            throws Exception {
        Path launcher = checkoutWithOneSourceNewerThanTheJar(dir, source);

        Run run = launch(launcher, dir, Map.of(), "version");

        assertThat(run.exit).as(run.output).isZero();
        assertThat(run.output).contains("ballast ").doesNotContain("building");
    }

    @Test
    void aChangedMainSourceMakesTheLauncherRebuildTheJar(@TempDir Path dir) throws Exception {
        Path launcher = checkoutWithOneSourceNewerThanTheJar(dir, "ballast-proxy/src/main/java/Some.java");

        Run run = launch(launcher, dir, Map.of(), "version");

        // the copy has no Maven wrapper, so the build it starts fails, and says so
        assertThat(run.output).contains("building");
        assertThat(run.exit).as("the launcher's failure, not validate's 'invalid'").isEqualTo(3);
    }

    @Test
    void aChangedMainSourceMakesTheLauncherRebuildTheJarInACheckoutWhosePathLooksLikeAPattern(@TempDir Path dir)
            throws Exception {
        Path checkout = Files.createDirectories(dir.resolve("ballast [1]")); // to find's -path, [1] is the "1"
        Path launcher = checkoutWithOneSourceNewerThanTheJar(checkout, "ballast-proxy/src/main/java/Some.java");

        Run run = launch(launcher, checkout, Map.of(), "version");

        // the copy has no Maven wrapper, so the build it starts fails, and says so
        assertThat(run.output).contains("building");
        assertThat(run.exit).as("the launcher's failure, not validate's 'invalid'").isEqualTo(3);
    }

    @Test
    void twoLaunchersThatFindTheJarStaleTogetherBuildItOnce(@TempDir Path dir) throws Exception {
        Path launcher = checkoutWithOneSourceNewerThanTheJar(dir, "ballast-proxy/src/main/java/Some.java");
        // A wrapper that takes its time, as a first build does, and leaves a fresh jar behind.
        Path builds = dir.resolve("builds.log");
        Path wrapper = dir.resolve("mvnw");
        Files.writeString(wrapper, """
                #!/usr/bin/env bash
                echo build >> "%s"
                sleep 2
                cp "%s" ballast-dist/target/ballast.jar
                """.formatted(builds, HOME.resolve("ballast-dist/target/ballast.jar")));
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));

        List<Run> runs;
        try (ExecutorService both = Executors.newFixedThreadPool(2)) { // not the common pool: one thread on 2 cores
            CompletableFuture<Run> first = CompletableFuture.supplyAsync(() -> launchUnchecked(launcher, dir, "version"), both);
            CompletableFuture<Run> second = CompletableFuture.supplyAsync(() -> launchUnchecked(launcher, dir, "version"), both);
            runs = List.of(first.get(90, TimeUnit.SECONDS), second.get(90, TimeUnit.SECONDS));
        }

        for (Run run : runs) {
            assertThat(run.exit).as(run.output).isZero();
            assertThat(run.output).contains("ballast ");
        }
        assertThat(Files.readAllLines(builds)).as("one build").containsExactly("build");
    }

    private static Run launchUnchecked(Path launcher, Path dir, String... args) {
        try {
            return launch(launcher, dir, Map.of(), args);
        } catch (Exception e) {
            throw new CompletionException(e);
        }
    }

    @Test
    void aRunRecordsHowTheJvmRanItAndTheNextStartServesWithACacheBuiltFromThatRecord(@TempDir Path dir)
            throws Exception {
        // The launcher finds the JDK this test runs on (JAVA_HOME).
        Assumptions.assumeTrue(Runtime.version().feature() >= 25, "the AOT cache needs JDK 25");
        Path aot = dir.resolve("aot cache"); // a space in the path too
        // -Xlog:aot has the JVM say whether it mapped the cache, which its arguments alone do not show.
        Map<String, String> env = Map.of("BALLAST_AOT_DIR", aot.toString(), "BALLAST_AOT_MIN_SECONDS", "0",
                "BALLAST_JAVA_OPTS_EXTRA", "-Xlog:aot");

        try (Backend backend = new Backend()) {
            try (Proxy first = Proxy.start(dir, backend, env)) {
                assertThat(first.get()).isEqualTo("from the backend");
                assertThat(first.arguments()).contains("-XX:AOTMode=record")
                        .contains("-XX:AOTConfiguration="
                                + aot.resolve("ballast-" + first.key() + "." + first.process().pid() + ".config"));
                assertThat(first.stop()).as(first.output()).isZero();
            }
            assertThat(filesEndingIn(aot, ".config")).hasSize(1);

            try (Proxy second = Proxy.start(dir, backend, env)) {
                assertThat(second.get()).isEqualTo("from the backend");
                assertThat(second.output()).contains("building the JVM's AOT cache", "Using AOT-linked classes: true");
                assertThat(second.arguments()).contains("-XX:AOTCache=" + aot.resolve("ballast-" + second.key() + ".aot"))
                        .doesNotContain("-XX:AOTMode=record");
            }
            assertThat(filesEndingIn(aot, ".config")).isEmpty();

            try (Proxy third = Proxy.start(dir, backend, env)) { // built once, then only used
                assertThat(third.get()).isEqualTo("from the backend");
                assertThat(third.output()).doesNotContain("building").contains("Using AOT-linked classes: true");
            }
        }
    }

    @Test
    void aRecordCutShortIsDroppedAndTheProxyStartsWithoutACacheAndRecordsAgain(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Runtime.version().feature() >= 25, "the AOT cache needs JDK 25");
        Path aot = dir.resolve("aot");
        Map<String, String> env = Map.of("BALLAST_AOT_DIR", aot.toString(), "BALLAST_AOT_MIN_SECONDS", "0");

        try (Backend backend = new Backend()) {
            Path record = recordOneRun(dir, backend, env, aot);
            try (FileChannel channel = FileChannel.open(record, StandardOpenOption.WRITE)) {
                channel.truncate(channel.size() / 2); // as if the run had been killed while writing it
            }

            try (Proxy second = Proxy.start(dir, backend, env)) {
                assertThat(second.get()).isEqualTo("from the backend");
                assertThat(second.output()).contains("could not be made into a cache");
                assertThat(second.arguments()).contains("-XX:AOTMode=record")
                        .noneMatch(argument -> argument.startsWith("-XX:AOTCache="));
                assertThat(record).doesNotExist();
            }
        }
    }

    @Test
    void theRecordOfARunTooShortToShowHowTheProxyRunsIsDroppedAndTheNextRunRecordsAgain(@TempDir Path dir)
            throws Exception {
        Assumptions.assumeTrue(Runtime.version().feature() >= 25, "the AOT cache needs JDK 25");
        Path aot = dir.resolve("aot");
        Map<String, String> env = Map.of("BALLAST_AOT_DIR", aot.toString(), "BALLAST_AOT_MIN_SECONDS", "3600");

        try (Backend backend = new Backend()) {
            Path record = recordOneRun(dir, backend, env, aot);

            try (Proxy second = Proxy.start(dir, backend, env)) {
                assertThat(second.output()).contains("record is dropped", "under the 3600 s").doesNotContain("building");
                assertThat(second.arguments()).contains("-XX:AOTMode=record");
                assertThat(record).doesNotExist();
                assertThat(filesEndingIn(aot, ".aot")).isEmpty();
            }
        }
    }

    @Test
    void aRunStartedWhileAnotherRecordsNeitherRecordsNorWaits(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Runtime.version().feature() >= 25, "the AOT cache needs JDK 25");
        Map<String, String> env = Map.of("BALLAST_AOT_DIR", dir.resolve("aot").toString());

        try (Backend backend = new Backend(); Proxy recording = Proxy.start(dir, backend, env);
             Proxy beside = Proxy.start(dir, backend, env)) {
            assertThat(recording.arguments()).contains("-XX:AOTMode=record");
            assertThat(beside.get()).isEqualTo("from the backend");
            assertThat(beside.arguments()).noneMatch(argument -> argument.startsWith("-XX:AOT"));
        }
    }

    @Test
    void anAotDirectoryThatCannotBeMadeIsSaidAndTheProxyRunsWithoutACache(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Runtime.version().feature() >= 25, "the AOT cache needs JDK 25");
        Path file = Files.writeString(dir.resolve("a file"), "not a directory");

        try (Backend backend = new Backend();
             Proxy proxy = Proxy.start(dir, backend, Map.of("BALLAST_AOT_DIR", file.resolve("aot").toString()))) {
            assertThat(proxy.get()).isEqualTo("from the backend");
            assertThat(proxy.output()).contains("no AOT cache, for " + file.resolve("aot") + " cannot be written to");
            assertThat(proxy.arguments()).noneMatch(argument -> argument.startsWith("-XX:AOT"));
        }
    }

    @Test
    void anOperatorsOwnClassDataSharingOptionTurnsTheLaunchersCacheOffRatherThanTheJvm(@TempDir Path dir)
            throws Exception {
        Assumptions.assumeTrue(Runtime.version().feature() >= 25, "the AOT cache needs JDK 25");
        Path aot = dir.resolve("aot");

        // The JVM refuses to start with -Xshare:off and an AOT mode together.
        try (Backend backend = new Backend(); Proxy proxy = Proxy.start(dir, backend,
                Map.of("BALLAST_AOT_DIR", aot.toString(), "BALLAST_JAVA_OPTS_EXTRA", "-Xshare:off"))) {
            assertThat(proxy.get()).isEqualTo("from the backend");
            assertThat(proxy.arguments()).contains("-Xshare:off").noneMatch(argument -> argument.startsWith("-XX:AOT"));
        }
    }

    @Test
    void aotOffLeavesTheJvmAsItIs(@TempDir Path dir) throws Exception {
        Path aot = dir.resolve("aot");

        try (Backend backend = new Backend();
             Proxy proxy = Proxy.start(dir, backend, Map.of("BALLAST_AOT_DIR", aot.toString(), "BALLAST_AOT", "off"))) {
            assertThat(proxy.get()).isEqualTo("from the backend");
            assertThat(proxy.arguments()).noneMatch(argument -> argument.startsWith("-XX:AOT"));
            assertThat(proxy.stop()).isZero();
        }
        assertThat(aot).doesNotExist();
    }

    /** Commands that start no proxy: they print their help or a usage error, and exit. */
    @ParameterizedTest
    @CsvSource({"0, run --help", "0, run -c ballast.yaml -h", "2, run", "2, run --config-key /ballast/proxy.yaml"})
    void aRunThatStartsNoProxyNeitherRecordsNorLeavesARecord(int exit, String command, @TempDir Path dir)
            throws Exception {
        Assumptions.assumeTrue(Runtime.version().feature() >= 25, "the AOT cache needs JDK 25");
        Path aot = Files.createDirectories(dir.resolve("aot"));

        Run run = launch(Map.of("BALLAST_AOT_DIR", aot.toString()), command.split(" "));

        assertThat(run.exit).as(run.output).isEqualTo(exit);
        assertThat(run.output).doesNotContain("records how the JVM runs");
        // A record of it would be one of a run too short to use, which the next real run would drop.
        assertThat(filesEndingIn(aot, ".config")).isEmpty();
        assertThat(filesEndingIn(aot, ".lock")).isEmpty();
    }

    /** Starts a proxy that records, stops it, and returns its record: the one in {@code aot}. */
    private static Path recordOneRun(Path dir, Backend backend, Map<String, String> env, Path aot) throws Exception {
        try (Proxy proxy = Proxy.start(dir, backend, env)) {
            assertThat(proxy.arguments()).contains("-XX:AOTMode=record");
            assertThat(proxy.stop()).as(proxy.output()).isZero();
        }
        List<Path> records = filesEndingIn(aot, ".config");
        assertThat(records).hasSize(1);
        return records.getFirst();
    }

    private static List<Path> filesEndingIn(Path dir, String suffix) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(file -> file.getFileName().toString().endsWith(suffix)).toList();
        }
    }

    /** A backend on 127.0.0.1 that answers every request with the same text. */
    private static final class Backend implements AutoCloseable {

        final HttpServer server;

        Backend() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/", exchange -> {
                byte[] body = "from the backend".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            server.start();
        }

        int port() {
            return server.getAddress().getPort();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    /** {@code bin/ballast run} in front of a backend, its output in a file. */
    private record Proxy(Process process, int port, Path log) implements AutoCloseable {

        static Proxy start(Path dir, Backend backend, Map<String, String> env) throws Exception {
            int port = freePort();
            Path config = Files.writeString(dir.resolve("ballast-" + port + ".yaml"), """
                    listeners:
                      - name: public
                        address: 127.0.0.1:%d
                    admin:
                      address: 127.0.0.1:0
                    upstreams:
                      app:
                        endpoints: [127.0.0.1:%d]
                    routes:
                      - match: { path_prefix: / }
                        upstream: app
                    """.formatted(port, backend.port())); // admin on any port: a second free port may be the first
            Path log = dir.resolve("ballast-" + port + ".log");
            ProcessBuilder builder = new ProcessBuilder(LAUNCHER.toString(), "run", "-c", config.toString())
                    .directory(HOME.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
            clearJavaOptions(builder);
            builder.environment().putAll(env);
            Proxy proxy = new Proxy(builder.start(), port, log);
            try {
                // A first start may build the cache before the proxy listens: some seconds on a slow machine.
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                        .failFast("bin/ballast run exited", () -> !proxy.process.isAlive())
                        .ignoreExceptions().until(() -> proxy.get() != null);
            } catch (Throwable e) {
                // Before the launcher execs the JVM, it may be building the cache in a JVM of its own.
                proxy.process.descendants().forEach(ProcessHandle::destroyForcibly);
                proxy.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("the proxy did not serve: " + proxy.output(), e);
            }
            return proxy;
        }

        /** The key of the cache and record files in the JVM's arguments. */
        String key() {
            return arguments().stream().filter(argument -> argument.startsWith("-XX:AOTCache=")
                            || argument.startsWith("-XX:AOTConfiguration="))
                    .map(argument -> argument.replaceAll(".*/ballast-([0-9]+)\\..*", "$1")).findFirst()
                    .orElseThrow(() -> new AssertionError("no AOT option in " + arguments()));
        }

        /** The body of a GET of / through the proxy. */
        String get() throws IOException, InterruptedException {
            try (HttpClient client = HttpClient.newHttpClient()) {
                HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                        .timeout(Duration.ofSeconds(5)).build();
                return client.send(request, HttpResponse.BodyHandlers.ofString()).body();
            }
        }

        /** The JVM's arguments: the launcher execs the JVM, so it has the launcher's process id. */
        List<String> arguments() {
            return List.of(process.info().arguments().orElseThrow());
        }

        String output() throws IOException {
            return Files.readString(log);
        }

        /** Stops the proxy as SIGTERM does and returns its exit code. */
        int stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("bin/ballast run did not exit within 60 s of SIGTERM");
            }
            return process.exitValue();
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                stop();
            }
        }

        private static int freePort() throws IOException {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            }
        }
    }

    /**
     * A checkout of the launcher and the packaged jar in {@code dir}, with {@code source} written an
     * hour after the jar was. Without the Maven wrapper: a build started there fails.
     */
    private static Path checkoutWithOneSourceNewerThanTheJar(Path dir, String source) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        for (String file : List.of("ballast", "jdk.sh", "aot.sh")) {
            Files.copy(HOME.resolve("bin").resolve(file), bin.resolve(file), StandardCopyOption.COPY_ATTRIBUTES);
        }
        Path jar = dir.resolve("ballast-dist/target/ballast.jar");
        Files.createDirectories(jar.getParent());
        Files.copy(HOME.resolve("ballast-dist/target/ballast.jar"), jar);
        Instant now = Instant.now();
        Files.setLastModifiedTime(jar, FileTime.from(now.minusSeconds(3600)));
        Path changed = dir.resolve(source);
        Files.createDirectories(changed.getParent());
        Files.writeString(changed, "class Some {}\n");
        Files.setLastModifiedTime(changed, FileTime.from(now));
        return bin.resolve("ballast");
    }

    /** A directory that looks like a JDK of {@code version} to the launcher's check. */
    private static void fakeJdk(Path home, String version) throws IOException {
        Path bin = Files.createDirectories(home.resolve("bin"));
        String script = "#!/bin/sh\necho 'openjdk version \"" + version + "\" 2023-10-17' >&2\nexit 0\n";
        for (String tool : List.of("java", "javac")) {
            Path file = bin.resolve(tool);
            Files.writeString(file, script);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    private static Run launch(Map<String, String> env, String... args) throws Exception {
        return launch(LAUNCHER, HOME, env, args);
    }

    private static Run launch(Path launcher, Path workingDirectory, Map<String, String> env, String... args)
            throws Exception {
        ProcessBuilder builder = new ProcessBuilder().directory(workingDirectory.toFile());
        builder.command().add(launcher.toString());
        builder.command().addAll(List.of(args));
        clearJavaOptions(builder);
        builder.environment().putAll(env);
        builder.redirectErrorStream(true);
        Process process = builder.start();
        process.getOutputStream().close();
        // The output is a few lines: read after the exit without risk of the pipe filling up.
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            // The launcher may have started a build or a JVM of its own: those go too.
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("bin/ballast " + String.join(" ", args) + " did not exit within 60 s");
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(process.exitValue(), output);
    }

    /** Nothing inherited that adds JVM options behind the launcher's back, or moves its AOT cache. */
    private static void clearJavaOptions(ProcessBuilder builder) {
        for (String variable : List.of("BALLAST_JAVA_OPTS", "BALLAST_JAVA_OPTS_EXTRA", "JAVA_TOOL_OPTIONS",
                "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "BALLAST_AOT", "BALLAST_AOT_DIR")) {
            builder.environment().remove(variable);
        }
    }

    private record Run(int exit, String output) {
    }
}
