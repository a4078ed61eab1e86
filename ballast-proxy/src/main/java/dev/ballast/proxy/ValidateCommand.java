package dev.ballast.proxy;

import dev.ballast.proxy.config.ConfigLoader;
import dev.ballast.proxy.config.ConfigProblem;
import dev.ballast.proxy.config.ConfigResult;
import dev.ballast.proxy.config.ProxyConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * {@code ballast validate -c FILE}: checks a configuration without starting anything and lists every
 * problem with its path and line. Exit 0 when valid (warnings allowed), 1 when invalid, 2 when the file
 * cannot be read. {@code --config-etcd URL --config-key KEY} checks the document published in etcd.
 */
@Command(name = "validate",
        description = "Check a configuration file (or an etcd key) and list every problem with its path and line.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:valid (warnings allowed)", "1:invalid", "2:the file (or key) cannot be read"})
public final class ValidateCommand implements Callable<Integer> {

    static final int VALID = 0;
    static final int INVALID = 1;
    static final int UNREADABLE = 2;

    @Mixin
    private ConfigSourceOptions sourceOptions;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        ConfigSource source = sourceOptions.source(spec);
        String yaml;
        try {
            yaml = source.read();
        } catch (IOException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("error: " + new ConfigProblem(source.name(), e.getMessage(), 0).format());
            err.flush();
            return UNREADABLE;
        }
        ConfigResult result = ConfigLoader.parse(yaml, source.name());
        result.errors().forEach(problem -> out.println("error: " + problem.format()));
        result.warnings().forEach(problem -> out.println("warning: " + problem.format()));
        if (result.ok()) {
            ProxyConfig valid = result.config();
            out.println(source.name() + ": OK (" + count(valid.listeners().size(), "listener") + ", "
                    + count(valid.upstreams().size(), "upstream") + ", " + count(valid.routes().size(), "route") + ")");
        } else {
            out.println(source.name() + ": " + count(result.errors().size(), "error"));
        }
        out.flush();
        return result.ok() ? VALID : INVALID;
    }

    private static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
