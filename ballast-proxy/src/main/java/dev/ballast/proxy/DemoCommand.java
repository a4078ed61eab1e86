package dev.ballast.proxy;

import dev.ballast.proxy.config.ConfigLoader;
import dev.ballast.proxy.config.ConfigResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code ballast demo}: three in-process demo backends behind the proxy on 127.0.0.1:8080 (admin
 * 127.0.0.1:9901), configured by a sample YAML that goes through the real config loader and is
 * printed once the proxy listens, so the first command a newcomer runs also shows them what a config
 * looks like. It names the demo's backends, which live only inside it: a proxy of one's own starts
 * from {@code examples/ballast.yaml}.
 */
@Command(name = "demo", description = "Start three demo backends and the proxy in front of them (try: curl localhost:8080/).")
final class DemoCommand implements Callable<Integer> {

    private int port;
    private int adminPort;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Spec
    private CommandSpec spec;

    @Option(names = "--port", defaultValue = "8080", paramLabel = "PORT",
            description = "Proxy port, 0 for any free one (default: ${DEFAULT-VALUE}).")
    void port(int value) {
        port = checkedPort("--port", value);
    }

    @Option(names = "--admin-port", defaultValue = "9901", paramLabel = "PORT",
            description = "Admin port, 0 for any free one (default: ${DEFAULT-VALUE}).")
    void adminPort(int value) {
        adminPort = checkedPort("--admin-port", value);
    }

    /** Said of the option, not of the generated configuration the user never wrote. */
    private int checkedPort(String option, int value) {
        if (value < 0 || value > 65_535) {
            throw new ParameterException(spec.commandLine(), option + ": " + value + " out of range (expected: 0..65535)");
        }
        return value;
    }

    final StopSignal stop = new StopSignal();
    volatile ProxyServer server;

    static String sampleYaml(int port, int adminPort, List<Integer> backendPorts) {
        StringBuilder yaml = new StringBuilder()
                .append("# ballast demo: three local backends, round-robin\n")
                .append("listeners:\n")
                .append("  - name: public\n")
                .append("    address: 127.0.0.1:").append(port).append('\n')
                .append("admin:\n")
                .append("  address: 127.0.0.1:").append(adminPort).append('\n')
                .append("upstreams:\n")
                .append("  demo:\n")
                .append("    balancer: round-robin\n")
                .append("    endpoints:\n");
        for (int backendPort : backendPorts) {
            yaml.append("      - 127.0.0.1:").append(backendPort).append('\n');
        }
        return yaml.append("routes:\n")
                .append("  - match: { path_prefix: / }\n")
                .append("    upstream: demo\n")
                .toString();
    }

    @Override
    public Integer call() throws InterruptedException {
        if (port != 0 && port == adminPort) {
            // Said of the options, not as a duplicate address on a line of the generated configuration.
            throw new ParameterException(spec.commandLine(), "--port and --admin-port are both " + port
                    + " (expected: two different ports, or 0 for any free one)");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (DemoBackends backends = DemoBackends.start(3)) {
            String yaml = sampleYaml(port, adminPort, backends.ports());
            ConfigResult result = ConfigLoader.parse(yaml, "demo.yaml");
            if (!result.ok()) {
                result.errors().forEach(problem -> out.println("error: " + problem.format()));
                out.flush();
                return 1;
            }
            StringWriter startError = new StringWriter();
            int exit = RunCommand.serve(result.config(), stop, new PrintWriter(startError), proxy -> {
                server = proxy;
                // Only now: a demo that could not start has no configuration to show.
                out.println("The configuration this demo runs (its backends live only inside the demo):");
                out.println();
                out.println(yaml);
                out.println("For a proxy of your own, start from examples/ballast.yaml, then: "
                        + Main.command() + " run -c ballast.yaml");
                out.println();
                int bound = proxy.listenerAddresses().get(0).getPort();
                out.println("try: curl localhost:" + bound + "/   (run it a few times and watch the backends take turns)");
                out.println("     curl localhost:" + proxy.adminAddress().getPort() + "/status");
                out.println("dashboard: http://127.0.0.1:" + proxy.adminAddress().getPort() + "/");
                out.println("stop with Ctrl-C");
                out.flush();
            });
            err.print(startError);
            if (server == null) {
                // The demo's configuration binds nothing but its two ports: say which option moves the one refused.
                String error = startError.toString();
                if (error.contains("cannot bind listener")) {
                    err.println(portHint("--port", "proxy", port, adminPort));
                } else if (error.contains("cannot bind admin")) {
                    err.println(portHint("--admin-port", "admin API", adminPort, port));
                }
            }
            err.flush();
            return exit;
        }
    }

    private static String portHint(String option, String what, int refused, int other) {
        int next = refused + 1 == other ? refused + 2 : refused + 1;
        return "hint: move the demo's " + what + " to another port: "
                + (next <= 65_535 ? option + " " + next + ", or " : "") + option + " 0 for any free one";
    }
}
