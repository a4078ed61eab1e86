package dev.ballast.proxy.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;

class ConfigFileTest {

    @TempDir
    Path dir;

    @Test
    void readsAFileOfExactlyTheLimitAndRefusesOneByteMore() throws IOException {
        Path file = dir.resolve("ballast.yaml");
        Files.writeString(file, "x".repeat(ConfigFile.MAX_BYTES));

        assertThat(ConfigFile.read(file)).hasSize(ConfigFile.MAX_BYTES);

        Files.writeString(file, "x", java.nio.file.StandardOpenOption.APPEND);
        assertThatIOException().isThrownBy(() -> ConfigFile.read(file))
                .satisfies(e -> assertThat(ConfigLoader.readFailure(e)).startsWith("cannot read: larger than 4 MiB"));
    }

    @Test
    void aConfigurationJustUnderTheLimitParsesWhateverItHolds() {
        // The YAML parser's own default limit, 3 Mi characters of content, used to fail such a file as a
        // syntax error part-way down.
        String head = """
                listeners:
                  - { name: public, address: 127.0.0.1:8080 }
                upstreams:
                  api: { endpoints: [127.0.0.1:9001] }
                routes:
                  - match: { path_prefix: /, headers: { X-Big: "%s" } }
                    upstream: api
                """;
        String yaml = head.formatted("a".repeat(ConfigFile.MAX_BYTES - head.length()));
        assertThat(yaml.length()).isBetween(ConfigFile.MAX_BYTES - 10, ConfigFile.MAX_BYTES);

        ConfigResult result = ConfigLoader.parse(yaml, "big.yaml");

        assertThat(result.errors()).isEmpty();
        assertThat(result.ok()).isTrue();
    }

    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a read of the pipe would never end
    void refusesAPipeOrADeviceAtOnceForItCannotBeReadAgainAtAReload() throws Exception {
        Path pipe = dir.resolve("ballast.yaml");
        Process mkfifo = new ProcessBuilder("mkfifo", pipe.toString()).start();
        assertThat(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0).as("mkfifo").isTrue();

        for (Path file : List.of(pipe, Path.of("/dev/zero"))) {
            assertThatIOException().as(file.toString()).isThrownBy(() -> ConfigFile.read(file))
                    .satisfies(e -> assertThat(ConfigLoader.readFailure(e)).isEqualTo("cannot read: not a regular"
                            + " file (a pipe or a device; expected: a YAML file, read again at each reload)"));
        }
    }

    @Test
    void readsOnlyJustPastTheLimitOfAFileThatGrowsWithoutEnd() throws IOException {
        Path huge = dir.resolve("huge.yaml");
        try (var file = new java.io.RandomAccessFile(huge.toFile(), "rw")) {
            file.setLength(64L << 20); // sparse: no disk used
        }

        assertThat(ConfigFile.readCapped(huge)).hasSize(ConfigFile.MAX_BYTES + 1);
    }

    @Test
    void refusesTextThatIsNotUtf8() throws IOException {
        Path file = Files.write(dir.resolve("latin1.yaml"), new byte[] {'a', ':', ' ', (byte) 0xE9});

        assertThatIOException().isThrownBy(() -> ConfigFile.read(file))
                .satisfies(e -> assertThat(ConfigLoader.readFailure(e)).isEqualTo("cannot read: not UTF-8 text"));
    }
}
