package dev.ballast.proxy.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

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
    void readsOnlyJustPastTheLimitOfAnEndlessFile() throws IOException {
        assertThat(ConfigFile.readCapped(Path.of("/dev/zero"))).hasSize(ConfigFile.MAX_BYTES + 1);
    }

    @Test
    void refusesTextThatIsNotUtf8() throws IOException {
        Path file = Files.write(dir.resolve("latin1.yaml"), "a: 1\nb: caf\u00e9 \u00e9\n".getBytes(StandardCharsets.UTF_8));
        byte[] latin1 = "a: 1\nb: caf\u00e9 \u00e9\nc: caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);
        byte[] mixed = Files.readAllBytes(file);
        Files.write(file, concat(mixed, Arrays.copyOfRange(latin1, "a: 1\nb: caf\u00e9 \u00e9\n".length(), latin1.length)));

        assertThatIOException().isThrownBy(() -> ConfigFile.read(file))
                .satisfies(e -> assertThat(ConfigLoader.readFailure(e)).isEqualTo("cannot read: not UTF-8 text: byte"
                        + " 0xE9 at line 3, column 7 is not UTF-8 (is the file saved in another encoding, such as"
                        + " Latin-1?)"));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }
}
