package dev.ballast.client;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** examples/client-example compiles against this module and does what its README says. */
class ExampleServiceTest {

    private static final Path DIRECTORY = Path.of("..", "examples", "client-example");
    private static final Path EXAMPLE = DIRECTORY.resolve("ClientExample.java");

    @Test
    void theExampleServiceCompilesAndServesEveryRequestDespiteItsBrokenBackends(@TempDir Path classes) throws Exception {
        String output = compileAndRun(EXAMPLE, classes, "ClientExample", "--port", "0", "--once");

        assertThat(output.lines().filter(line -> line.startsWith("GET /product/"))).hasSize(10)
                .allSatisfy(line -> assertThat(line).contains("-> 200", "stock from 3 of 4 shards"));
        assertThat(output).contains("inventory DEADLINE_EXCEEDED x1");
        assertThat(Files.readString(EXAMPLE)).contains("CallContext.fromHeaders");
    }

    /** docs/client.md quotes this file as its quick start. */
    @Test
    void theQuickStartOfTheDocsRuns(@TempDir Path classes) throws Exception {
        String output = compileAndRun(DIRECTORY.resolve("QuickStart.java"), classes, "QuickStart");

        assertThat(output.lines()).hasSize(3);
        assertThat(output).contains("200 from 127.0.0.1:", "got /v1/orders/42", "async: ", "got /v1/orders/43",
                "UNKNOWN_SERVICE: payments: not a configured service (expected one of: orders)");
    }

    /** Compiles {@code source} against this module as an application would, runs its main, returns what it printed. */
    private String compileAndRun(Path source, Path classes, String mainClass, String... args) throws Exception {
        assertThat(source).exists();
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int exit = javac.run(null, null, diagnostics, "-d", classes.toString(), "--release", "21", "-Xlint:all",
                "-Werror", "-cp", System.getProperty("java.class.path"), source.toString());
        assertThat(exit).as(diagnostics.toString(StandardCharsets.UTF_8)).isZero();
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream out = System.out;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
            Method main = loader.loadClass(mainClass).getMethod("main", String[].class);
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            main.invoke(null, (Object) args);
        } finally {
            System.setOut(out);
        }
        return printed.toString(StandardCharsets.UTF_8);
    }
}
