package dev.ballast.proxy;

import dev.ballast.core.testing.TestFiles;
import dev.ballast.proxy.testing.AdminClient;
import dev.ballast.proxy.testing.TestBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
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

/** {@code ballast run -c FILE} reloads on SIGHUP, and so needs a file it can read again. */
class RunCommandReloadTest {

    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // opening the pipe would never return
    void runRefusesAConfigurationThatIsAPipeForItCouldNotReadItAgainAtAReload(@TempDir Path dir) throws Exception {
        Path pipe = TestFiles.pipe(dir.resolve("ballast.yaml"));
        StringWriter out = new StringWriter();

        int exit = new CommandLine(new RunCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(out))
                .execute("-c", pipe.toString());

        assertThat(exit).isEqualTo(1);
        assertThat(out.toString()).startsWith("error: " + pipe + ": cannot read: not a regular file (a pipe or a"
                + " device; run reads its configuration again at each reload)\n");
    }

    @Test
    void sighupReloadsTheConfigurationFile(@TempDir Path dir) throws Exception {
        try (TestBackend one = TestBackend.named("one"); TestBackend two = TestBackend.named("two")) {
            Path file = dir.resolve("ballast.yaml");
            Files.writeString(file, DemoCommand.sampleYaml(0, 0, List.of(one.port(), two.port())));
            RunCommand run = new RunCommand();
            CommandLine command = new CommandLine(run).setOut(new PrintWriter(new StringWriter()))
                    .setErr(new PrintWriter(new StringWriter()));
            // On a thread of its own, as main runs it: a pool worker held for the whole run could starve others.
            CompletableFuture<Integer> exit = new CompletableFuture<>();
            Thread.ofPlatform().name("test-run").start(() -> exit.complete(command.execute("-c", file.toString())));
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> run.server != null);
                assertThat(run.server.generation()).isEqualTo(1);

                // The SIGHUP handler is installed before the server is published, so this cannot end the JVM.
                Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(ProcessHandle.current().pid())).start();
                assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();

                await().atMost(Duration.ofSeconds(10)).until(() -> run.server.generation() == 2);
                assertThat(AdminClient.of(run.server.adminAddress()).get("/status").body())
                        .contains("configuration 2 applied (SIGHUP)");
            } finally {
                run.stop.trigger("test"); // on a failure too: the run would outlive the test
            }
            assertThat(exit.get(10, TimeUnit.SECONDS)).isZero();
        }
    }

    @Test
    void aSighupWhileTheProxyStartsIsAReloadOnceItRunsNotTheEndOfTheJvm(@TempDir Path dir) throws Exception {
        try (TestBackend one = TestBackend.named("one"); TestBackend two = TestBackend.named("two");
             ServerSocket silentEtcd = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            // An upstream discovered from an etcd that accepts and never answers: the start waits for it.
            Path file = dir.resolve("ballast.yaml");
            Files.writeString(file, DemoCommand.sampleYaml(0, 0, List.of(one.port(), two.port()))
                    .replace("upstreams:\n", "upstreams:\n  registry:\n    discovery: { etcd: { prefix: /r/ } }\n")
                    + "etcd: { endpoints: [\"http://127.0.0.1:" + silentEtcd.getLocalPort() + "\"], timeout: 2s }\n");
            RunCommand run = new RunCommand();
            CommandLine command = new CommandLine(run).setOut(new PrintWriter(new StringWriter()))
                    .setErr(new PrintWriter(new StringWriter()));
            CompletableFuture<Integer> exit = new CompletableFuture<>();
            Thread.ofPlatform().name("test-run").start(() -> exit.complete(command.execute("-c", file.toString())));
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> run.hangupHandled);
                assertThat(run.server).as("still starting").isNull();

                Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(ProcessHandle.current().pid())).start();
                assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();

                await().atMost(Duration.ofSeconds(20)).until(() -> run.server != null && run.server.generation() == 2);
                assertThat(AdminClient.of(run.server.adminAddress()).get("/status").body())
                        .contains("configuration 2 applied (SIGHUP during start)");
            } finally {
                run.stop.trigger("test"); // on a failure too: the run would outlive the test
            }
            assertThat(exit.get(20, TimeUnit.SECONDS)).isZero();
        }
    }
}
