package dev.ballast.proxy;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code ballast} command line: {@code run}, {@code validate}, {@code demo}, {@code version}. */
@Command(name = "ballast",
        description = "Ballast: an HTTP reverse proxy and load balancer.",
        subcommands = {RunCommand.class, ValidateCommand.class, DemoCommand.class, VersionCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @Spec
    private CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new Main());
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
        spec.commandLine().getOut().println();
        spec.commandLine().getOut().println("New here? Try: ballast demo");
        spec.commandLine().getOut().flush();
    }
}
