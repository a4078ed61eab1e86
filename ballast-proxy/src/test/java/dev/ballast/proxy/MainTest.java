package dev.ballast.proxy;

import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class MainTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private CommandLine capture(CommandLine commandLine) {
        return commandLine.setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
    }

    @Test
    void versionIsDevWhenNotRunFromTheJar() {
        int code = capture(Main.commandLine()).execute("version");

        assertThat(code).isZero();
        assertThat(out.toString().trim()).isEqualTo("ballast dev");
    }

    @Test
    void turnsOffTheJvmsCachesOfLookupsAndOfFailedLookups() {
        // The JDK's java.security sets 10 s for failures (this suite's own sets 0: put the default back).
        // The JVM read its cache policy long ago, so changing the property now changes no lookup.
        String suites = java.security.Security.getProperty("networkaddress.cache.negative.ttl");
        java.security.Security.setProperty("networkaddress.cache.negative.ttl", "10");
        try {
            Main.uncacheLookups();

            // A name back in DNS must be seen at the next dns_refresh, not 10 s later.
            assertThat(java.security.Security.getProperty("networkaddress.cache.negative.ttl")).isEqualTo("0");
            assertThat(java.security.Security.getProperty("networkaddress.cache.ttl")).isEqualTo("0");
        } finally {
            java.security.Security.setProperty("networkaddress.cache.negative.ttl", suites);
        }
    }

    @Test
    void anOperatorsNegativeLookupTtlWinsOverTheJdksFileAndOurs() {
        String suites = java.security.Security.getProperty("networkaddress.cache.negative.ttl");
        java.security.Security.setProperty("networkaddress.cache.negative.ttl", "10");
        System.setProperty("sun.net.inetaddr.negative.ttl", "3");
        try {
            Main.uncacheLookups();

            // The JDK reads the security property first: the operator's choice must land there.
            assertThat(java.security.Security.getProperty("networkaddress.cache.negative.ttl")).isEqualTo("3");
        } finally {
            System.clearProperty("sun.net.inetaddr.negative.ttl");
            java.security.Security.setProperty("networkaddress.cache.negative.ttl", suites);
        }
    }

    @Test
    void answersTheStandardHelpAndVersionOptions() {
        assertThat(capture(Main.commandLine()).execute("--version")).isZero();
        assertThat(out.toString().trim()).isEqualTo("ballast dev");
        out.getBuffer().setLength(0);

        assertThat(capture(Main.commandLine()).execute("--help")).isZero();
        assertThat(out.toString()).contains("run", "validate", "demo");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void everyCommandAnswersItsHelp() {
        for (String command : new String[] {"run", "validate", "demo", "version"}) {
            out.getBuffer().setLength(0);
            assertThat(capture(Main.commandLine()).execute(command, "--help")).as(command).isZero();
            assertThat(out.toString()).as(command).contains("Usage: ballast " + command);
        }
    }

    @Test
    void listsTheSubcommandsAndPointsNewcomersAtDemo() {
        int code = capture(Main.commandLine()).execute();

        assertThat(code).isZero();
        assertThat(out.toString()).contains("run", "validate", "demo", "version", "Try: ballast demo");
    }

    @Test
    void pointsNewcomersAtDemoByTheCommandTheLauncherSaysItIs() {
        System.setProperty("ballast.command", "bin/ballast"); // as bin/ballast passes it
        try {
            int code = capture(Main.commandLine()).execute();

            assertThat(code).isZero();
            assertThat(out.toString()).contains("Try: bin/ballast demo");
        } finally {
            System.clearProperty("ballast.command");
        }
    }

    @Test
    void runReportsAnInvalidConfigLikeValidateAndExits1(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("broken.yaml");
        Files.writeString(file, "listeners:\n  - name: public\n    address: 127.0.0.1:70000\nupstreams: {}\nroutes: []\n");

        int runCode = capture(Main.commandLine()).execute("run", "-c", file.toString());
        String runOutput = out.toString();
        out.getBuffer().setLength(0);
        int validateCode = capture(Main.commandLine()).execute("validate", "-c", file.toString());

        assertThat(runCode).isEqualTo(1);
        assertThat(validateCode).isEqualTo(1);
        assertThat(runOutput).contains("error: ").contains("70000");
        assertThat(runOutput).isEqualTo(out.toString());
    }

    @Test
    void runServesTheConfigUntilStoppedThenExits0(@TempDir Path dir) throws Exception {
        try (TestBackend one = TestBackend.named("one"); TestBackend two = TestBackend.named("two")) {
            Path file = dir.resolve("ballast.yaml");
            Files.writeString(file, DemoCommand.sampleYaml(0, 0, List.of(one.port(), two.port())));
            RunCommand run = new RunCommand();
            CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(
                    () -> capture(new CommandLine(run)).execute("-c", file.toString()));
            Set<String> served = new HashSet<>();
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> run.server != null);
                try (RawHttp raw = RawHttp.connect(run.server.listenerAddresses().get(0))) {
                    for (int i = 0; i < 4; i++) {
                        served.add(raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").read().text());
                    }
                }
            } finally {
                run.stop.trigger("test"); // on a failure too: the run would outlive the test
            }

            assertThat(served).containsExactlyInAnyOrder("one", "two");
            assertThat(exit.get(10, TimeUnit.SECONDS)).isZero();
        }
    }

    @Test
    void demoNamesTheOptionOfAPortOutOfRange() {
        int code = capture(Main.commandLine()).execute("demo", "--port", "99999");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--port: 99999 out of range (expected: 0..65535)")
                .doesNotContain("listeners[0]");
    }

    @Test
    void demoRefusesOnePortForTheProxyAndTheAdminApiNamingBothOptions() {
        int code = capture(Main.commandLine()).execute("demo", "--port", "9901"); // the admin API's default

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--port and --admin-port are both 9901").doesNotContain("line");
        assertThat(out.toString()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"--port", "--admin-port"})
    void demoOnATakenPortNamesTheOptionThatMovesItAndPrintsNoConfig(String option) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String other = option.equals("--port") ? "--admin-port" : "--port";

            int code = capture(Main.commandLine()).execute("demo", option, String.valueOf(taken.getLocalPort()),
                    other, "0");

            assertThat(code).isEqualTo(1);
            assertThat(err.toString()).contains("cannot bind", ":" + taken.getLocalPort())
                    .contains("hint: ").contains(option + " 0 for any free one");
            assertThat(out.toString()).doesNotContain("listeners:").doesNotContain("try: curl");
        }
    }

    @Test
    void demoSaysItsBackendsLiveOnlyInsideItAndWhereAProxyOfOnesOwnStarts() throws Exception {
        System.setProperty("ballast.command", "bin/ballast");
        try {
            DemoCommand demo = new DemoCommand();
            CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(
                    () -> capture(new CommandLine(demo)).execute("--port", "0", "--admin-port", "0"));
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> demo.server != null);
            } finally {
                demo.stop.trigger("test");
            }

            assertThat(exit.get(10, TimeUnit.SECONDS)).isZero();
            // The demo's backends are gone once it stops, and its ports taken while it runs: not a config to save.
            assertThat(out.toString()).contains("backends live only inside the demo")
                    .contains("start from examples/ballast.yaml, then: bin/ballast run -c ballast.yaml")
                    .doesNotContain("save it");
        } finally {
            System.clearProperty("ballast.command");
        }
    }

    @Test
    void demoStartsThreeBackendsBehindTheProxyAndPrintsItsConfig() throws Exception {
        DemoCommand demo = new DemoCommand();
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(
                () -> capture(new CommandLine(demo)).execute("--port", "0", "--admin-port", "0"));
        Set<String> served = new HashSet<>();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> demo.server != null);
            try (RawHttp raw = RawHttp.connect(demo.server.listenerAddresses().get(0))) {
                for (int i = 0; i < 6; i++) {
                    served.add(raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").read().text());
                }
            }
            try (RawHttp admin = RawHttp.connect(demo.server.adminAddress())) {
                assertThat(admin.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").read().status())
                        .isEqualTo(200);
            }
        } finally {
            demo.stop.trigger("test"); // on a failure too: the demo would outlive the test
        }

        assertThat(exit.get(10, TimeUnit.SECONDS)).isZero();
        assertThat(served).containsExactlyInAnyOrder("hello from demo-1 (GET /)\n", "hello from demo-2 (GET /)\n",
                "hello from demo-3 (GET /)\n");
        assertThat(out.toString()).contains("balancer: round-robin").contains("try: curl localhost:");
    }
}
