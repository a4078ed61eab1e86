package dev.ballast.proxy;

import io.netty.util.ResourceLeakDetector;
import picocli.CommandLine;

import java.security.Security;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code ballast} command line: {@code run}, {@code validate}, {@code demo}, {@code version}. */
@Command(name = "ballast",
        description = "Ballast: an HTTP reverse proxy and load balancer.",
        mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        subcommands = {RunCommand.class, ValidateCommand.class, DemoCommand.class, VersionCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @Spec
    private CommandSpec spec;

    public static void main(String[] args) {
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            // Leak detection samples buffers and touches every message on every hop; tests keep it
            // on, production opts in with -Dio.netty.leakDetection.level=simple.
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
        uncacheLookups();
        System.exit(commandLine().execute(args));
    }

    /**
     * The JDK caches a name's addresses for 30 s and a failed lookup for 10 s, so a new address, or a
     * name back in DNS, would show up only at the first dns_refresh after that. The proxy looks names
     * up only in its refreshes, so neither is cached, unless the operator set them. Call before the
     * first lookup: the JDK reads these once.
     */
    static void uncacheLookups() {
        if (Security.getProperty("networkaddress.cache.ttl") == null && System.getProperty("sun.net.inetaddr.ttl") == null) {
            Security.setProperty("networkaddress.cache.ttl", "0");
        }
        // The JDK's own java.security sets the negative TTL (10), which it reads before the system
        // property: an operator's -Dsun.net.inetaddr.negative.ttl is copied over it, else the default goes.
        String negative = System.getProperty("sun.net.inetaddr.negative.ttl");
        if (negative != null) {
            Security.setProperty("networkaddress.cache.negative.ttl", negative);
        } else if ("10".equals(Security.getProperty("networkaddress.cache.negative.ttl"))) {
            Security.setProperty("networkaddress.cache.negative.ttl", "0");
        }
    }

    static CommandLine commandLine() {
        return new CommandLine(new Main());
    }

    /**
     * How the user starts Ballast, for the commands a hint spells out: {@code bin/ballast} passes
     * {@code -Dballast.command=bin/ballast}; a jar started by hand is {@code ballast}.
     */
    static String command() {
        return System.getProperty("ballast.command", "ballast");
    }

    /** {@code ballast --version}, as {@code ballast version}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"ballast " + VersionCommand.version()};
        }
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
        spec.commandLine().getOut().println();
        spec.commandLine().getOut().println("New here? Try: " + command() + " demo");
        spec.commandLine().getOut().flush();
    }
}
