package dev.ballast.proxy;

import dev.ballast.proxy.config.ConfigResult;
import dev.ballast.proxy.config.ProxyConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code ballast run -c FILE}: loads and validates the configuration (an invalid one is reported
 * exactly as {@code validate} does, exit 1), runs the proxy, reloads the file when it changes or on
 * SIGHUP, and on SIGTERM/SIGINT drains in-flight requests for up to {@code drain_timeout} and exits 0.
 * With {@code --config-etcd URL --config-key KEY} instead of {@code -c}, the configuration is the value
 * of an etcd key, which every proxy of a fleet follows: a put of a new document reloads them all.
 */
@Command(name = "run", description = "Run the proxy with a configuration file (or an etcd key) until SIGTERM/SIGINT.")
final class RunCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

    @Mixin
    private ConfigSourceOptions sourceOptions;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Spec
    private CommandSpec spec;

    final StopSignal stop = new StopSignal();
    volatile ProxyServer server;
    /** SIGHUP is handled (no longer ends the JVM); for tests. */
    volatile boolean hangupHandled;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        ConfigSource source = sourceOptions.source(spec);
        if (source instanceof ConfigSource.FileSource fileSource && Files.exists(fileSource.file())
                && !Files.isRegularFile(fileSource.file()) && !Files.isDirectory(fileSource.file())) {
            Path file = fileSource.file();
            // Read again at each reload, which a pipe cannot be (one with no writer would hang the reload).
            out.println("error: " + file + ": cannot read: not a regular file (a pipe or a device; run reads its"
                    + " configuration again at each reload)");
            out.println(source.name() + ": 1 error");
            out.flush();
            return 1;
        }
        // Handled from now on: a SIGHUP while the configuration is read or the proxy starts would end the JVM.
        StartupReload reloads = new StartupReload();
        try (ReloadSignal hangup = ReloadSignal.install(reloads)) {
            hangupHandled = true;
            return load(source, out, reloads);
        }
    }

    private int load(ConfigSource source, PrintWriter out, StartupReload reloads) throws InterruptedException {
        ConfigResult result = source.load();
        result.errors().forEach(problem -> out.println("error: " + problem.format()));
        result.warnings().forEach(problem -> out.println("warning: " + problem.format()));
        if (!result.ok()) {
            out.println(source.name() + ": " + result.errors().size() + " error"
                    + (result.errors().size() == 1 ? "" : "s"));
            out.flush();
            return 1;
        }
        out.flush();
        return serve(result.config(), source, stop, spec.commandLine().getErr(), s -> {
            server = s;
            reloads.started(s);
        });
    }

    /** Runs a proxy until {@code stop} fires, then drains; shared with {@code demo}. */
    static int serve(ProxyConfig config, StopSignal stop, PrintWriter err, java.util.function.Consumer<ProxyServer> started)
            throws InterruptedException {
        return serve(config, null, stop, err, started);
    }

    /** As above, reloading from {@code source} (when not null) when it changes; SIGHUP is the caller's. */
    static int serve(ProxyConfig config, ConfigSource source, StopSignal stop, PrintWriter err,
                     java.util.function.Consumer<ProxyServer> started) throws InterruptedException {
        ProxyServer proxy;
        try {
            proxy = ProxyServer.start(config, source, source != null);
        } catch (IllegalStateException e) {
            err.println("error: " + e.getMessage());
            err.flush();
            return 1;
        }
        Duration drain = Duration.ofMillis(config.drainTimeoutMillis());
        Thread hook = new Thread(() -> proxy.shutdown(drain), "ballast-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        started.accept(proxy);
        String why = stop.installHandlers().await();
        log.info("{}: stopping, draining in-flight requests for up to {} ms", why, drain.toMillis());
        proxy.shutdown(drain);
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException alreadyExiting) {
            // the JVM is going down anyway; the hook returns at once as the proxy is stopped
        }
        return 0;
    }
}
