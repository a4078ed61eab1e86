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

    private static final Path EXAMPLE = Path.of("..", "examples", "client-example", "ClientExample.java");

    @Test
    void theExampleServiceCompilesAndServesEveryRequestDespiteItsBrokenBackends(@TempDir Path classes) throws Exception {
        assertThat(EXAMPLE).exists();
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int exit = javac.run(null, null, diagnostics, "-d", classes.toString(), "--release", "21", "-Xlint:all",
                "-Werror", "-cp", System.getProperty("java.class.path"), EXAMPLE.toString());
        assertThat(exit).as(diagnostics.toString(StandardCharsets.UTF_8)).isZero();

        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream out = System.out;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
            Method main = loader.loadClass("ClientExample").getMethod("main", String[].class);
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            main.invoke(null, (Object) new String[] {"--port", "0", "--once"});
        } finally {
            System.setOut(out);
        }

        String output = printed.toString(StandardCharsets.UTF_8);
        assertThat(output.lines().filter(line -> line.startsWith("GET /product/"))).hasSize(12)
                .allSatisfy(line -> assertThat(line).contains("-> 200", "stock from 3 of 4 shards"));
        assertThat(output).contains("inventory DEADLINE_EXCEEDED x1");
        assertThat(Files.readString(EXAMPLE)).contains("CallContext.fromHeaders");
    }
}
