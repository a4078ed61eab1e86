package dev.ballast.discovery.etcd.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ballast.core.endpoint.TlsFiles;
import dev.ballast.core.testing.TestTls;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * A real one-member etcd cluster on 127.0.0.1, for the tests of etcd discovery: the {@code etcd} binary
 * of Debian's {@code etcd-server} package, with its data in a directory of its own, on ports the OS
 * gave out. Without the binary the tests that start one are skipped, unless {@code BALLAST_REQUIRE_ETCD}
 * is set ({@code .ci/run} installs etcd and sets it), where they fail.
 *
 * <p>{@link #stop} and {@link #start} take the member down and up again on the same ports and data,
 * as a restart would; {@link #close} stops it and deletes its data.
 */
public final class EtcdServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private final String binary;
    private final Path dir;
    private final int clientPort;
    private final int peerPort;
    /** The server's TLS files when it serves https (null: http), and whether it asks clients for a certificate. */
    private final TestTls tls;
    private final boolean clientCertificates;
    private final HttpClient http;
    private Process process;
    /** The root user's password once {@link #enableAuthentication} ran; the helper's own calls then log in. */
    private volatile String rootPassword;
    private volatile String token;

    private EtcdServer(String binary, Path dir, int clientPort, int peerPort, TestTls tls, boolean clientCertificates) {
        this.binary = binary;
        this.dir = dir;
        this.clientPort = clientPort;
        this.peerPort = peerPort;
        this.tls = tls;
        this.clientCertificates = clientCertificates;
        HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
        if (tls != null) {
            try { // the helper's own calls trust the test CA and present the test client certificate
                http.sslContext(new TlsFiles(tls.ca(), tls.clientCert(), tls.clientKey()).context());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        this.http = http.build();
    }

    /** Starts a member and waits until it answers; skips the calling test where etcd is not installed. */
    public static EtcdServer started() throws IOException {
        return started(null, false);
    }

    /**
     * Starts a member that serves https with {@code tls}'s server certificate (for 127.0.0.1), and with
     * {@code clientCertificates} asks every client for a certificate signed by {@code tls}'s CA.
     */
    public static EtcdServer startedWithTls(TestTls tls, boolean clientCertificates) throws IOException {
        return started(tls, clientCertificates);
    }

    private static EtcdServer started(TestTls tls, boolean clientCertificates) throws IOException {
        String binary = binary();
        for (int attempt = 1; ; attempt++) {
            EtcdServer server = new EtcdServer(binary, Files.createTempDirectory("ballast-etcd"), freePort(), freePort(),
                    tls, clientCertificates);
            try {
                server.start();
                return server;
            } catch (RuntimeException | Error e) {
                // Another process can take a free port before etcd binds it: then again, on fresh ports.
                boolean portTaken = server.log().contains("address already in use");
                server.close();
                if (!portTaken || attempt == 3) {
                    throw e;
                }
            }
        }
    }

    /** The client URL, as the {@code etcd.endpoints} of a config. */
    public String url() {
        return (tls != null ? "https" : "http") + "://127.0.0.1:" + clientPort;
    }

    /** Starts the member (again) and waits until it answers. */
    public void start() {
        assertThat(process).as("already running").isNull();
        String client = url();
        String peer = "http://127.0.0.1:" + peerPort;
        List<String> command = new ArrayList<>(List.of(binary, "--name", "test", "--data-dir", dir.resolve("data").toString(),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "test=" + peer, "--logger", "zap", "--log-level", "warn",
                "--max-request-bytes", Integer.toString(8 << 20), // room for a configuration over 4 MiB
                // Login tokens unused for a second expire (the default is 5 minutes), so that tests see it happen.
                "--auth-token-ttl", "1"));
        if (tls != null) {
            command.addAll(List.of("--cert-file", tls.serverCert().toString(), "--key-file", tls.serverKey().toString()));
            if (clientCertificates) {
                command.addAll(List.of("--client-cert-auth", "--trusted-ca-file", tls.ca().toString()));
            }
        }
        try {
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("etcd.log").toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("etcd exited with " + process.exitValue() + ": " + log());
            }
            try {
                HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(client + "/health"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (health.statusCode() == 200 && health.body().contains("\"true\"")) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            try {
                Thread.sleep(50); // polling a process we do not own: there is no event to await
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("etcd did not become healthy within " + START_TIMEOUT + ": " + log());
    }

    /** Stops the member, keeping its data, as a crash or a restart would take it away. */
    public void stop() {
        if (process == null) {
            return;
        }
        if (process.isAlive()) {
            thaw(); // a frozen process would not act on SIGTERM; one that exited has nothing to thaw
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** Freezes the member (SIGSTOP): its sockets stay open, but it answers nothing, as a hung process. */
    public void freeze() {
        signal("-STOP");
    }

    /** Lets a frozen member run again (SIGCONT). */
    public void thaw() {
        signal("-CONT");
    }

    private void signal(String signal) {
        try {
            Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start();
            assertThat(kill.waitFor(10, TimeUnit.SECONDS)).as("kill %s", signal).isTrue();
            assertThat(kill.exitValue()).as("kill %s", signal).isZero();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public void put(String key, String value) {
        call("/v3/kv/put", JSON.createObjectNode().put("key", base64(key)).put("value", base64(value)));
    }

    /** Puts bytes that need not be text. */
    public void put(String key, byte[] value) {
        call("/v3/kv/put", JSON.createObjectNode().put("key", base64(key))
                .put("value", Base64.getEncoder().encodeToString(value)));
    }

    /** Puts {@code key} under {@code lease}: the key goes when the lease expires. */
    public void put(String key, String value, long lease) {
        call("/v3/kv/put", JSON.createObjectNode().put("key", base64(key)).put("value", base64(value))
                .put("lease", lease));
    }

    public void delete(String key) {
        call("/v3/kv/deleterange", JSON.createObjectNode().put("key", base64(key)));
    }

    /** A new lease of {@code ttlSeconds}, never kept alive: its keys go when it expires. */
    public long grantLease(int ttlSeconds) {
        return call("/v3/lease/grant", JSON.createObjectNode().put("TTL", ttlSeconds)).path("ID").asLong();
    }

    /**
     * Turns etcd's authentication on, with user {@code root} (role root) and {@code rootPassword}, and
     * {@code user} with {@code password} allowed to read the keys under {@code prefix}; from then on the
     * helper's own calls log in as root.
     */
    public void enableAuthentication(String rootPassword, String user, String password, String prefix) {
        call("/v3/auth/role/add", JSON.createObjectNode().put("name", "root"));
        call("/v3/auth/user/add", JSON.createObjectNode().put("name", "root").put("password", rootPassword));
        call("/v3/auth/user/grant", JSON.createObjectNode().put("user", "root").put("role", "root"));
        call("/v3/auth/role/add", JSON.createObjectNode().put("name", "reader"));
        ObjectNode permission = JSON.createObjectNode().put("permType", "READ").put("key", base64(prefix))
                .put("range_end", Base64.getEncoder().encodeToString(rangeEnd(prefix)));
        ObjectNode grant = JSON.createObjectNode().put("name", "reader");
        grant.set("perm", permission);
        call("/v3/auth/role/grant", grant);
        call("/v3/auth/user/add", JSON.createObjectNode().put("name", user).put("password", password));
        call("/v3/auth/user/grant", JSON.createObjectNode().put("user", user).put("role", "reader"));
        call("/v3/auth/enable", JSON.createObjectNode());
        this.rootPassword = rootPassword;
    }

    /** Sets {@code user}'s password; etcd then refuses every token the user was given before. */
    public void changePassword(String user, String password) {
        call("/v3/auth/user/changepw", JSON.createObjectNode().put("name", user).put("password", password));
    }

    private String logInAsRoot() throws IOException, InterruptedException {
        return logIn("root", rootPassword);
    }

    /** A login token for {@code user}; it expires once unused for a second. */
    public String logIn(String user, String password) throws IOException, InterruptedException {
        String credentials = JSON.createObjectNode().put("name", user).put("password", password).toString();
        HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(url() + "/v3/auth/authenticate"))
                .timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.ofString(credentials)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(login.statusCode()).as("etcd login: %s", login.body()).isEqualTo(200);
        return JSON.readTree(login.body()).path("token").asText();
    }

    /** Whether etcd still takes {@code token} (it refuses an expired one with 401). */
    public boolean accepts(String token) throws IOException, InterruptedException {
        String anyRead = JSON.createObjectNode().put("key", base64("/")).toString(); // allowed or not: not 401
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url() + "/v3/kv/range"))
                .timeout(Duration.ofSeconds(5)).header("Authorization", token)
                .POST(HttpRequest.BodyPublishers.ofString(anyRead)).build(), HttpResponse.BodyHandlers.ofString());
        return response.statusCode() != 401;
    }

    private static byte[] rangeEnd(String prefix) {
        byte[] end = prefix.getBytes(StandardCharsets.UTF_8);
        end[end.length - 1]++;
        return end;
    }

    private JsonNode call(String path, ObjectNode body) {
        HttpResponse<String> response = send(path, body);
        if (response.statusCode() == 401 && rootPassword != null) {
            token = null; // expired (this etcd lets a token go after a second unused): log in again
            response = send(path, body);
        }
        assertThat(response.statusCode()).as("etcd %s: %s", path, response.body()).isEqualTo(200);
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpResponse<String> send(String path, ObjectNode body) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url() + path))
                    .timeout(Duration.ofSeconds(5))
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
            if (rootPassword != null) {
                if (token == null) {
                    token = logInAsRoot();
                }
                request.header("Authorization", token);
            }
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("etcd.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() throws IOException {
        stop();
        http.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** The etcd binary on the PATH; without one the test is skipped, unless CI asks for it to be there. */
    private static String binary() {
        for (String directory : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(directory, "etcd"))) {
                return Path.of(directory, "etcd").toString();
            }
        }
        for (String fallback : List.of("/usr/bin/etcd", "/usr/local/bin/etcd")) {
            if (Files.isExecutable(Path.of(fallback))) {
                return fallback;
            }
        }
        assertThat(System.getenv("BALLAST_REQUIRE_ETCD"))
                .as("BALLAST_REQUIRE_ETCD is set but no etcd is on the PATH").isNull();
        assumeThat((String) null).as("etcd not installed (apt-get install etcd-server)").isNotNull();
        return null;
    }
}
