package dev.ballast.proxy;

import dev.ballast.proxy.config.ConfigResult;
import dev.ballast.proxy.config.EtcdUrls;
import dev.ballast.proxy.config.ProxyConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
    /** Bounds each read of the configuration key: at start, and at every reload. */
    static final long ETCD_TIMEOUT_MILLIS = 5_000;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "The YAML configuration file.")
    private Path config;

    @Option(names = "--config-etcd", split = ",", paramLabel = "URL",
            description = "Read the configuration from etcd instead of a file: the client URLs of the cluster's"
                    + " members (separated by commas, or the option repeated). Needs --config-key.")
    private List<String> etcdMembers;

    @Option(names = "--config-key", paramLabel = "KEY",
            description = "With --config-etcd: the key whose value is the YAML configuration.")
    private String etcdKey;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Spec
    private CommandSpec spec;

    final StopSignal stop = new StopSignal();
    volatile ProxyServer server;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        ConfigSource source = source();
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
        return serve(result.config(), source, stop, spec.commandLine().getErr(), s -> server = s);
    }

    /** The file, or the etcd key: exactly one, or a usage error naming what is missing. */
    private ConfigSource source() {
        boolean etcd = etcdMembers != null || etcdKey != null;
        if (config != null && etcd) {
            throw new ParameterException(spec.commandLine(),
                    "give either -c FILE or --config-etcd URL with --config-key KEY, not both");
        }
        if (config != null) {
            return ConfigSource.file(config);
        }
        if (etcdMembers == null || etcdMembers.isEmpty() || etcdKey == null || etcdKey.isEmpty()) {
            throw new ParameterException(spec.commandLine(), etcd
                    ? "--config-etcd URL and --config-key KEY go together; " + (etcdKey == null || etcdKey.isEmpty()
                            ? "--config-key is missing" : "--config-etcd is missing")
                    : "missing the configuration: give -c FILE, or --config-etcd URL with --config-key KEY");
        }
        List<URI> members = new ArrayList<>();
        for (String member : etcdMembers) {
            try {
                members.add(EtcdUrls.parse(member.strip()));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--config-etcd: " + e.getMessage());
            }
        }
        return ConfigSource.etcd(members, ETCD_TIMEOUT_MILLIS, etcdKey);
    }

    /** Runs a proxy until {@code stop} fires, then drains; shared with {@code demo}. */
    static int serve(ProxyConfig config, StopSignal stop, PrintWriter err, java.util.function.Consumer<ProxyServer> started)
            throws InterruptedException {
        return serve(config, null, stop, err, started);
    }

    /** As above, reloading from {@code source} (when not null) when it changes or on SIGHUP. */
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
        ReloadSignal hangup = source == null ? null : ReloadSignal.install(() -> proxy.reload("SIGHUP"));
        started.accept(proxy);
        String why = stop.installHandlers().await();
        log.info("{}: stopping, draining in-flight requests for up to {} ms", why, drain.toMillis());
        proxy.shutdown(drain);
        if (hangup != null) {
            hangup.close();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException alreadyExiting) {
            // the JVM is going down anyway; the hook returns at once as the proxy is stopped
        }
        return 0;
    }
}
