package dev.ballast.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ballast.proxy.testing.AdminClient;
import dev.ballast.core.testing.TestTls;
import dev.ballast.discovery.etcd.testing.EtcdServer;
import dev.ballast.proxy.admin.ReloadOutcome;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.Teardown;
import dev.ballast.proxy.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code ballast run --config-etcd URL --config-key KEY}: the configuration is an etcd key that a fleet
 * of proxies shares, against a real etcd. A put reloads, an invalid document is refused, a deleted key
 * changes nothing.
 */
class RunCommandEtcdConfigTest {

    private static final String KEY = "/ballast/proxy.yaml";
    private static final Duration SETTLE = Duration.ofSeconds(15);

    private final Teardown teardown = new Teardown();
    private EtcdServer etcd;
    private TestBackend one;
    private TestBackend two;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void start() throws Exception {
        etcd = teardown.add(EtcdServer.started());
        one = teardown.add(TestBackend.named("one"));
        two = teardown.add(TestBackend.named("two"));
    }

    @AfterEach
    void stop() throws Exception {
        teardown.close();
    }

    private CommandLine command(RunCommand run) {
        return new CommandLine(run).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
    }

    private static String answer(ProxyServer server) throws Exception {
        try (RawHttp client = RawHttp.connect(server.listenerAddresses().get(0))) {
            client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            return client.read().text();
        }
    }

    /** Runs the command on a thread of its own, as {@code main} does (not a pool worker it would hold). */
    private CompletableFuture<Integer> execute(RunCommand run, String... args) {
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        Thread.ofPlatform().name("test-run").start(() -> exit.complete(command(run).execute(args)));
        return exit;
    }

    private static double reloads(AdminClient admin, String result) throws Exception {
        return admin.metrics().value("ballast_config_reloads_total", "result", result);
    }

    @Test
    void runsTheConfigurationInAnEtcdKeyAndReloadsWhenItIsPut() throws Exception {
        String first = DemoCommand.sampleYaml(0, 0, List.of(one.port()));
        etcd.put(KEY, first);
        RunCommand run = new RunCommand();
        CompletableFuture<Integer> exit = execute(run, "--config-etcd", "http://127.0.0.1:1",
                "--config-etcd", etcd.url(), "--config-key", KEY);
        try {
            await().atMost(SETTLE).until(() -> run.server != null || exit.isDone());
            assertThat(run.server).as("started; output: %s %s", out, err).isNotNull();
            assertThat(answer(run.server)).isEqualTo("one");
            AdminClient admin = AdminClient.of(run.server.adminAddress());

            etcd.put(KEY, DemoCommand.sampleYaml(0, 0, List.of(two.port())));
            await().atMost(SETTLE).until(() -> run.server.generation() == 2);
            assertThat(answer(run.server)).isEqualTo("two");
            assertThat(admin.get("/status").body()).contains("configuration 2 applied (etcd change)");
            JsonNode source = new ObjectMapper().readTree(admin.get("/status").body()).get("config_source");
            assertThat(source.get("name").asText()).isEqualTo("etcd:" + KEY);
            assertThat(source.get("connected").asBoolean()).isTrue();
            assertThat(source.get("member").asText()).isEqualTo(etcd.url());
            assertThat(admin.metrics().value("ballast_config_watch_connected", "source", "etcd:" + KEY)).isEqualTo(1.0);

            etcd.put(KEY, "listeners: [{ name: public, adress: 127.0.0.1:0 }]\n");
            await().atMost(SETTLE).until(() -> reloads(admin, "failure") == 1.0);
            assertThat(run.server.generation()).as("refused").isEqualTo(2);
            assertThat(answer(run.server)).isEqualTo("two");
            assertThat(new ObjectMapper().readTree(admin.get("/status").body()).get("events").toString())
                    .contains("listeners[0].adress: unknown key; did you mean 'address'?");

            String second = DemoCommand.sampleYaml(0, 0, List.of(two.port())) + "# the same, commented\n";
            etcd.put(KEY, second);
            await().atMost(SETTLE).until(() -> run.server.generation() == 3);
            etcd.put(KEY, second); // the same text again: no reload
            etcd.delete(KEY); // nothing to reload: the configuration in force stays
            etcd.put("/ballast/proxy.yaml.bak", "not a configuration"); // a key that only starts with KEY
            etcd.put(KEY, second); // back, as it was: no reload either
            etcd.put(KEY, first); // a marker: everything before it has been seen
            await().atMost(SETTLE).until(() -> run.server.generation() == 4);
            assertThat(reloads(admin, "success")).isEqualTo(3.0);
            assertThat(reloads(admin, "failure")).as("only the invalid document was refused").isEqualTo(1.0);
            assertThat(answer(run.server)).isEqualTo("one");

            etcd.delete(KEY);
            assertThat(run.server.reload("SIGHUP").get(10, TimeUnit.SECONDS).errors())
                    .as("a reload asked for while the key is gone is refused, saying why")
                    .anySatisfy(error -> assertThat(error).contains("no such key in etcd"));
            assertThat(answer(run.server)).isEqualTo("one");
        } finally {
            run.stop.trigger("test");
            assertThat(exit.get(20, TimeUnit.SECONDS)).isZero();
        }
    }

    @Test
    void aReloadAskedForWhileEtcdDoesNotAnswerIsAppliedOnceItDoes() throws Exception {
        etcd.put(KEY, DemoCommand.sampleYaml(0, 0, List.of(one.port())));
        RunCommand run = new RunCommand();
        CompletableFuture<Integer> exit = execute(run, "--config-etcd", etcd.url(), "--config-key", KEY);
        try {
            await().atMost(SETTLE).until(() -> run.server != null || exit.isDone());
            assertThat(run.server).as("started; output: %s %s", out, err).isNotNull();
            AdminClient admin = AdminClient.of(run.server.adminAddress());

            etcd.freeze();
            ReloadOutcome refused = run.server.reload("SIGHUP").get(20, TimeUnit.SECONDS);
            assertThat(refused.applied()).isFalse();
            assertThat(refused.errors()).anySatisfy(error -> assertThat(error)
                    .contains("cannot read from etcd").contains("the reload is tried again once etcd answers"));
            assertThat(admin.metrics().value("ballast_config_last_reload_successful")).isEqualTo(0.0);

            etcd.thaw();
            await().atMost(SETTLE).until(() -> run.server.generation() == 2);
            assertThat(admin.metrics().value("ballast_config_last_reload_successful")).isEqualTo(1.0);
            assertThat(admin.get("/status").body()).contains("configuration 2 applied (etcd answers again)");
            assertThat(answer(run.server)).isEqualTo("one");
        } finally {
            etcd.thaw();
            run.stop.trigger("test");
            assertThat(exit.get(20, TimeUnit.SECONDS)).isZero();
        }
    }

    @Test
    void refusesToStartWithoutTheKeyOrAnEtcdThatAnswersAndSaysWhy() throws Exception {
        assertThat(command(new RunCommand()).execute("--config-etcd", etcd.url(), "--config-key", "/nope"))
                .isEqualTo(1);
        assertThat(out.toString()).contains("error: etcd:/nope: no such key in etcd [" + etcd.url() + "]");

        int refusing;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            refusing = socket.getLocalPort();
        }
        assertThat(command(new RunCommand()).execute("--config-etcd", "http://127.0.0.1:" + refusing,
                "--config-key", KEY)).isEqualTo(1);
        assertThat(out.toString()).contains("error: etcd:" + KEY + ": cannot read from etcd: etcd http://127.0.0.1:"
                + refusing + ": connection refused");
    }

    @Test
    void validateChecksTheDocumentPublishedInEtcd() {
        etcd.put(KEY, DemoCommand.sampleYaml(0, 0, List.of(one.port())));
        assertThat(new CommandLine(new ValidateCommand()).setOut(new PrintWriter(out, true))
                .execute("--config-etcd", etcd.url(), "--config-key", KEY)).isZero();
        assertThat(out.toString()).contains("etcd:" + KEY + ": OK (1 listener, 1 upstream, 1 route)");

        etcd.put(KEY, "listeners: [{ name: public, adress: 127.0.0.1:0 }]\n");
        assertThat(new CommandLine(new ValidateCommand()).setOut(new PrintWriter(out, true))
                .execute("--config-etcd", etcd.url(), "--config-key", KEY)).isEqualTo(1);
        assertThat(out.toString()).contains("error: listeners[0].adress: unknown key; did you mean 'address'? (line 1)");

        assertThat(new CommandLine(new ValidateCommand()).setErr(new PrintWriter(err, true))
                .execute("--config-etcd", etcd.url(), "--config-key", "/nope")).as("unreadable").isEqualTo(2);
        assertThat(err.toString()).contains("error: etcd:/nope: no such key in etcd");

        // By the rules a file is read by: UTF-8, at most 4 MiB.
        etcd.put(KEY, new byte[] {'#', ' ', 'c', 'a', 'f', (byte) 0xe9, '\n'});
        assertThat(new CommandLine(new ValidateCommand()).setErr(new PrintWriter(err, true))
                .execute("--config-etcd", etcd.url(), "--config-key", KEY)).isEqualTo(2);
        assertThat(err.toString()).contains("error: etcd:" + KEY + ": cannot read: not UTF-8 text");
        etcd.put(KEY, ("#" + "x".repeat(4 << 20) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(new CommandLine(new ValidateCommand()).setErr(new PrintWriter(err, true))
                .execute("--config-etcd", etcd.url(), "--config-key", KEY)).isEqualTo(2);
        assertThat(err.toString()).contains("error: etcd:" + KEY + ": cannot read: larger than 4 MiB");
    }

    @Test
    void validateLogsInToAnEtcdWithAuthenticationWithThePasswordInAFile(@TempDir Path dir) throws Exception {
        etcd.put(KEY, DemoCommand.sampleYaml(0, 0, List.of(one.port())));
        etcd.enableAuthentication("root-password", "fleet", "fleet password", "/ballast/");
        Path password = Files.writeString(dir.resolve("etcd-password"), "fleet password\n");

        assertThat(new CommandLine(new ValidateCommand()).setOut(new PrintWriter(out, true))
                .execute("--config-etcd", etcd.url(), "--config-key", KEY, "--config-etcd-user", "fleet",
                        "--config-etcd-password-file", password.toString())).as("output: %s", out).isZero();
        assertThat(out.toString()).contains("etcd:" + KEY + ": OK (1 listener, 1 upstream, 1 route)");

        assertThat(new CommandLine(new ValidateCommand()).setErr(new PrintWriter(err, true))
                .execute("--config-etcd", etcd.url(), "--config-key", KEY)).as("no login").isEqualTo(2);
        assertThat(err.toString()).contains("the cluster has authentication enabled");
        Files.writeString(password, "a guess\n");
        assertThat(new CommandLine(new ValidateCommand()).setErr(new PrintWriter(err, true))
                .execute("--config-etcd", etcd.url(), "--config-key", KEY, "--config-etcd-user", "fleet",
                        "--config-etcd-password-file", password.toString())).as("a wrong password").isEqualTo(2);
        assertThat(err.toString()).contains("cannot log in as 'fleet'").doesNotContain("a guess");
    }

    @Test
    void runReadsThePasswordFileAtEachLoginSoARotatedPasswordNeedsNoRestart(@TempDir Path dir) throws Exception {
        etcd.put(KEY, DemoCommand.sampleYaml(0, 0, List.of(one.port())));
        etcd.enableAuthentication("root-password", "fleet", "fleet password", "/ballast/");
        Path password = Files.writeString(dir.resolve("etcd-password"), "fleet password\n");
        RunCommand run = new RunCommand();
        CompletableFuture<Integer> exit = execute(run, "--config-etcd", etcd.url(), "--config-key", KEY,
                "--config-etcd-user", "fleet", "--config-etcd-password-file", password.toString());
        try {
            await().atMost(SETTLE).until(() -> run.server != null || exit.isDone());
            assertThat(run.server).as("started; output: %s %s", out, err).isNotNull();
            assertThat(answer(run.server)).isEqualTo("one");

            // Rotated as a secret is: the file first, then etcd, which refuses every token given before.
            Files.writeString(password, "the rotated password\n");
            etcd.changePassword("fleet", "the rotated password");
            etcd.put(KEY, DemoCommand.sampleYaml(0, 0, List.of(two.port())));

            // A reload reads the key afresh, logging in again: with the password now in the file.
            ReloadOutcome reload = run.server.reload("SIGHUP").get(10, TimeUnit.SECONDS);
            assertThat(reload.errors()).isEmpty();
            assertThat(answer(run.server)).isEqualTo("two");
        } finally {
            run.stop.trigger("test");
            assertThat(exit.get(20, TimeUnit.SECONDS)).isZero();
        }
    }

    @Test
    void validateReadsTheConfigurationFromAnEtcdThatAsksForAClientCertificate(@TempDir Path dir) throws Exception {
        TestTls tls = TestTls.in(dir);
        EtcdServer secure = teardown.add(EtcdServer.startedWithTls(tls, true));
        secure.put(KEY, DemoCommand.sampleYaml(0, 0, List.of(one.port())));

        assertThat(new CommandLine(new ValidateCommand()).setOut(new PrintWriter(out, true))
                .execute("--config-etcd", secure.url(), "--config-key", KEY, "--config-etcd-cacert", tls.ca().toString(),
                        "--config-etcd-cert", tls.clientCert().toString(), "--config-etcd-key",
                        tls.clientKey().toString())).as("output: %s", out).isZero();
        assertThat(out.toString()).contains("etcd:" + KEY + ": OK (1 listener, 1 upstream, 1 route)");

        assertThat(new CommandLine(new ValidateCommand()).setErr(new PrintWriter(err, true))
                .execute("--config-etcd", secure.url(), "--config-key", KEY, "--config-etcd-cacert",
                        tls.ca().toString())).as("no client certificate").isEqualTo(2);
        assertThat(err.toString()).contains("client certificate");
    }

    @Test
    void theEtcdTlsOptionsAreCheckedBeforeEtcdIsAsked(@TempDir Path dir) {
        TestTls tls = TestTls.in(dir);
        String https = "https://127.0.0.1:2379";
        assertThat(command(new RunCommand()).execute("--config-etcd", https, "--config-key", KEY,
                "--config-etcd-cert", tls.clientCert().toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--config-etcd-cert needs --config-etcd-key FILE");
        assertThat(command(new RunCommand()).execute("--config-etcd", https, "--config-key", KEY,
                "--config-etcd-cacert", dir.resolve("missing.pem").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--config-etcd-cacert: " + dir.resolve("missing.pem") + ": no such file");
        assertThat(command(new RunCommand()).execute("--config-etcd", https, "--config-key", KEY,
                "--config-etcd-cacert", tls.ca().toString(), "--config-etcd-cert", tls.clientCert().toString(),
                "--config-etcd-key", tls.ecClientKeySec1().toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--config-etcd-key: " + tls.ecClientKeySec1()
                + ": not the key of the certificate in " + tls.clientCert());
        assertThat(command(new RunCommand()).execute("--config-etcd", etcd.url(), "--config-key", KEY,
                "--config-etcd-cacert", tls.ca().toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--config-etcd: " + etcd.url() + " is http://, which the TLS options do"
                + " not apply to");
        assertThat(command(new RunCommand()).execute("-c", "ballast.yaml", "--config-etcd-cacert",
                tls.ca().toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--config-etcd-cacert, --config-etcd-cert and --config-etcd-key go with"
                + " --config-etcd, not with -c FILE");
    }

    @Test
    void anEtcdLoginNeedsBothAUserAndAReadablePasswordFileAndAnEtcdToLogInTo(@TempDir Path dir) throws Exception {
        assertThat(command(new RunCommand()).execute("--config-etcd", etcd.url(), "--config-key", KEY,
                "--config-etcd-user", "fleet")).isEqualTo(2);
        assertThat(err.toString()).contains("--config-etcd-user needs --config-etcd-password-file FILE");
        assertThat(command(new RunCommand()).execute("--config-etcd", etcd.url(), "--config-key", KEY,
                "--config-etcd-password-file", dir.resolve("x").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--config-etcd-password-file needs --config-etcd-user USER");
        assertThat(command(new RunCommand()).execute("--config-etcd", etcd.url(), "--config-key", KEY,
                "--config-etcd-user", "fleet", "--config-etcd-password-file", dir.resolve("missing").toString()))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--config-etcd-password-file: " + dir.resolve("missing")
                + ": cannot read: no such file");
        Path wrong = Files.write(dir.resolve("wrong"), new byte[8 * 1024]);
        assertThat(command(new RunCommand()).execute("--config-etcd", etcd.url(), "--config-key", KEY,
                "--config-etcd-user", "fleet", "--config-etcd-password-file", wrong.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--config-etcd-password-file: " + wrong + ": cannot read: larger than"
                + " 4 KiB, which no password file is (is it the right file?)");
        Path latin1 = Files.write(dir.resolve("latin1"), new byte[] {'c', 'a', 'f', (byte) 0xe9, '\n'});
        assertThat(command(new RunCommand()).execute("--config-etcd", etcd.url(), "--config-key", KEY,
                "--config-etcd-user", "fleet", "--config-etcd-password-file", latin1.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--config-etcd-password-file: " + latin1 + ": cannot read: not UTF-8 text");
        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        assertThat(command(new RunCommand()).execute("--config-etcd", etcd.url(), "--config-key", KEY,
                "--config-etcd-user", "fleet", "--config-etcd-password-file", empty.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--config-etcd-password-file: " + empty + " is empty");
        assertThat(command(new RunCommand()).execute("-c", "ballast.yaml", "--config-etcd-user", "fleet",
                "--config-etcd-password-file", empty.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--config-etcd-user and --config-etcd-password-file go with"
                + " --config-etcd, not with -c FILE");
    }

    @Test
    void takesAFileOrAnEtcdKeyAndSaysWhatIsMissing() {
        assertThat(command(new RunCommand()).execute()).isEqualTo(2);
        assertThat(err.toString()).contains("missing the configuration: give -c FILE, or --config-etcd URL with"
                + " --config-key KEY");
        assertThat(command(new RunCommand()).execute("--config-etcd", etcd.url())).isEqualTo(2);
        assertThat(err.toString()).contains("--config-etcd needs --config-key KEY");
        assertThat(command(new RunCommand()).execute("--config-key", KEY)).isEqualTo(2);
        assertThat(err.toString()).contains("--config-key needs --config-etcd URL");
        assertThat(command(new RunCommand()).execute("--config-etcd", etcd.url(), "--config-key", " ")).isEqualTo(2);
        assertThat(err.toString()).contains("--config-key is empty");
        assertThat(command(new RunCommand()).execute("-c", "x.yaml", "--config-key", KEY)).isEqualTo(2);
        assertThat(err.toString()).contains("not both");
        assertThat(command(new RunCommand()).execute("--config-etcd", "127.0.0.1:2379", "--config-key", KEY))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--config-etcd: '127.0.0.1:2379' is not a URL");
    }
}
