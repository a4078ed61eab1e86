package dev.ballast.proxy;

import dev.ballast.proxy.config.ConfigLoader;
import dev.ballast.proxy.config.ConfigResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code ballast train}: the proxy on a short built-in workload, then exit. Three demo backends and
 * keep-alive clients sending small and 16 KiB requests run in a second JVM (the peer, this command
 * with {@code --peer}); this one runs only the proxy, with the demo's configuration, on 127.0.0.1.
 *
 * <p>Why: on JDK 25 and newer {@code bin/ballast} runs it once per build with
 * {@code -XX:AOTCacheOutput} to record an AOT cache (the classes loaded and linked, and the method
 * profiles the JIT gathered: JEP 483, 514 and 515), and starts every later {@code run} and
 * {@code demo} with it. A new process then loads no class afresh and its JIT compiles the hot methods
 * from the recorded profiles, so it reaches full speed in its first seconds instead of compiling while
 * it serves (docs/benchmarks.md, twenty-first session). The backends and clients live in the peer
 * because their use of the same Netty classes would otherwise be recorded too: the JIT would then
 * compile the proxy's code for call sites shared with them, and compile it again once it serves.
 */
@Command(name = "train", description = {
        "Run the proxy on a built-in workload for a few seconds and exit: what bin/ballast records the"
                + " JVM's AOT cache from (JDK 25+), once per build, so that later starts warm up sooner.",
        "The demo backends and the clients run in a second JVM; all on 127.0.0.1, on free ports."})
final class TrainCommand implements Callable<Integer> {

    /** Enough clients to keep both event loops busy, as a loaded proxy's are. */
    private static final int CONNECTIONS = 32;
    /** The peer's lines that this command reads; anything else it prints (a log line) is passed on. */
    private static final String BACKENDS = "ballast-train backends ";
    private static final String PROXY = "ballast-train proxy ";
    private static final String DONE = "ballast-train done ";
    /** How long the peer may take to start its backends. */
    private static final Duration PEER_START = Duration.ofSeconds(30);

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Option(names = "--peer", hidden = true, description = "Run the backends and the clients (the second JVM).")
    private boolean peer;

    @Spec
    private CommandSpec spec;

    private int seconds;

    @Option(names = "--seconds", defaultValue = "10", paramLabel = "N",
            description = "How long the clients send requests, 1 to 300 (default: ${DEFAULT-VALUE}).")
    void seconds(int value) {
        if (value < 1 || value > 300) {
            throw new ParameterException(spec.commandLine(), "--seconds: " + value + " out of range (expected: 1..300)");
        }
        seconds = value;
    }

    @Override
    public Integer call() throws Exception {
        return peer ? peer() : proxy();
    }

    /** The recorded JVM: the proxy, in front of the peer's backends, until the peer's clients are done. */
    private int proxy() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Process peerProcess = new ProcessBuilder(peerCommand())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try (BufferedReader peerOut = new BufferedReader(new InputStreamReader(peerProcess.getInputStream(),
                StandardCharsets.UTF_8)); Writer peerIn = peerProcess.outputWriter(StandardCharsets.UTF_8)) {
            String backends = await(peerOut, BACKENDS, PEER_START, out);
            if (backends == null) {
                err.println("error: the workload's backends did not start (exit " + exitOf(peerProcess) + ")");
                return 1;
            }
            List<Integer> ports = Arrays.stream(backends.strip().split(" ")).map(Integer::valueOf).toList();
            ConfigResult config = ConfigLoader.parse(DemoCommand.sampleYaml(0, 0, ports), "train.yaml");
            try (ProxyServer proxy = ProxyServer.start(config.config())) {
                peerIn.write(PROXY + proxy.listenerAddresses().get(0).getPort() + "\n");
                peerIn.flush();
                String outcome = await(peerOut, DONE, Duration.ofSeconds(seconds).plus(PEER_START), out);
                if (!peerProcess.waitFor(PEER_START.toSeconds(), TimeUnit.SECONDS) || peerProcess.exitValue() != 0) {
                    err.println("error: the workload failed: " + (outcome == null ? "no outcome" : outcome)
                            + " (exit " + exitOf(peerProcess) + ")");
                    return 1;
                }
                out.println("ballast train: " + outcome);
                return 0;
            }
        } finally {
            peerProcess.destroyForcibly();
            out.flush();
            err.flush();
        }
    }

    /** The second JVM: backends and clients, told the proxy's port on its standard input. */
    private int peer() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        try (DemoBackends backends = DemoBackends.start(3)) {
            out.println(BACKENDS + String.join(" ", backends.ports().stream().map(String::valueOf).toList()));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null && !line.startsWith(PROXY)) {
                // not for us
            }
            if (line == null) {
                return 1; // the proxy's JVM went away
            }
            int port = Integer.parseInt(line.substring(PROXY.length()).strip());
            TrainingLoad.Outcome outcome = TrainingLoad.drive(new InetSocketAddress("127.0.0.1", port), CONNECTIONS,
                    Duration.ofSeconds(seconds));
            out.println(DONE + outcome);
            out.flush();
            return outcome.requests() > 0 && outcome.failures() == 0 ? 0 : 1;
        }
    }

    /**
     * This JVM again, without the options that record an AOT cache (only the proxy's JVM is recorded),
     * running this command as the peer.
     */
    private List<String> peerCommand() {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin",
                "java").toString()));
        for (String argument : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!argument.startsWith("-XX:AOT")) {
                command.add(argument);
            }
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "train", "--peer",
                "--seconds", Integer.toString(seconds)));
        return command;
    }

    /**
     * The rest of the first line of {@code peer} that starts with {@code prefix}, or null when the peer
     * ends or {@code limit} passes first. Its other lines go to {@code out}.
     */
    private static String await(BufferedReader peer, String prefix, Duration limit, PrintWriter out)
            throws InterruptedException {
        CompletableFuture<String> found = CompletableFuture.supplyAsync(() -> {
            try {
                String line;
                while ((line = peer.readLine()) != null) {
                    if (line.startsWith(prefix)) {
                        return line.substring(prefix.length());
                    }
                    out.println(line);
                }
                return null;
            } catch (IOException e) {
                return null;
            }
        }, runnable -> Thread.ofVirtual().start(runnable));
        try {
            return found.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return null;
        }
    }

    private static String exitOf(Process process) {
        return process.isAlive() ? "still running" : Integer.toString(process.exitValue());
    }
}
