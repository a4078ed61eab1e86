package dev.ballast.proxy;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code ballast version}: the jar manifest's Implementation-Version, or "dev" when run from classes. */
@Command(name = "version", description = "Print the version.")
final class VersionCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    static String version() {
        String version = Main.class.getPackage().getImplementationVersion();
        return version == null || version.isBlank() ? "dev" : version;
    }

    @Override
    public Integer call() {
        spec.commandLine().getOut().println("ballast " + version());
        spec.commandLine().getOut().flush();
        return 0;
    }
}
