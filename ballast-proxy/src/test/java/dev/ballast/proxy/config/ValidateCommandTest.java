package dev.ballast.proxy.config;

import dev.ballast.proxy.ValidateCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ValidateCommandTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void exitsZeroAndCountsWhatAValidFileDefines() throws IOException {
        Path file = write("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api: { endpoints: [127.0.0.1:9001] }
                  web: { endpoints: [127.0.0.1:9002] }
                routes:
                  - { match: { path_prefix: /api/ }, upstream: api }
                  - { upstream: web }
                """);

        assertThat(validate("-c", file.toString())).isZero();
        assertThat(out.toString()).isEqualTo(file + ": OK (1 listener, 2 upstreams, 2 routes)\n");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void exitsZeroForAFileWithOnlyWarningsAndPrintsThem() throws IOException {
        Path file = write("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api: { endpoints: [127.0.0.1:9001] }
                routes:
                  - { match: { path_prefix: / }, upstream: api }
                  - { match: { path: /login }, upstream: api }
                """);

        assertThat(validate("--config", file.toString())).isZero();
        assertThat(out.toString()).isEqualTo("""
                warning: routes[1]: route 'route-1' never matches: route 'route-0' (routes[0], line 5) comes first \
                and matches every request it would (line 6)
                %s: OK (1 listener, 1 upstream, 2 routes)
                """.formatted(file));
    }

    @Test
    void exitsOneAndListsEveryErrorOfAnInvalidFile() throws IOException {
        Path file = write("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api:
                    endpoints: [127.0.0.1:9001, 127.0.0.1:70000]
                    balancer: leastrequest
                routes: [{ upstream: api }]
                """);

        assertThat(validate("-c", file.toString())).isEqualTo(1);
        assertThat(out.toString()).isEqualTo("""
                error: upstreams.api.endpoints[1]: port 70000 out of range (expected: 1..65535) (line 4)
                error: upstreams.api.balancer: unknown balancer 'leastrequest'; did you mean 'least-request'? \
                (expected one of: round-robin, weighted-round-robin, random, weighted-random, least-connections, \
                least-request, peak-ewma, ring-hash, maglev, first) (line 5)
                %s: 2 errors
                """.formatted(file));
    }

    @Test
    void exitsTwoWithAMessageAndNoStackTraceWhenTheFileCannotBeRead() {
        Path missing = dir.resolve("missing.yaml");

        assertThat(validate("-c", missing.toString())).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("error: " + missing + ": cannot read: no such file\n");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void exitsTwoWhenTheConfigPathIsADirectory() {
        assertThat(validate("-c", dir.toString())).isEqualTo(2);
        assertThat(err.toString())
                .isEqualTo("error: " + dir + ": cannot read: it is a directory (expected: a YAML file)\n");
    }

    @Test
    void exitsTwoForAnEmptyFileName() {
        assertThat(validate("-c", "")).isEqualTo(2);
        assertThat(err.toString()).contains("cannot read: no file name given");
    }

    @Test
    void refusesAFileTooLargeToBeAConfigurationWithoutReadingItWhole() throws IOException {
        Path huge = dir.resolve("huge.yaml");
        try (var file = new java.io.RandomAccessFile(huge.toFile(), "rw")) {
            file.setLength(ConfigFile.MAX_BYTES + 1L); // sparse: no disk used
        }

        assertThat(validate("-c", huge.toString())).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("error: " + huge
                + ": cannot read: larger than 4 MiB, which no configuration is (is it the right file?)\n");
    }

    @Test
    void requiresTheConfigOption() {
        assertThat(validate()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(err.toString()).contains("missing the configuration: give -c FILE, or --config-etcd URL with"
                + " --config-key KEY");
    }

    private int validate(String... args) {
        CommandLine command = new CommandLine(new ValidateCommand());
        command.setOut(new PrintWriter(out, true));
        command.setErr(new PrintWriter(err, true));
        return command.execute(args);
    }

    private Path write(String yaml) throws IOException {
        return Files.writeString(dir.resolve("ballast.yaml"), yaml);
    }
}
