package dev.ballast.proxy.config;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class ByteSizesTest {

    @ParameterizedTest(name = "{0} = {1} bytes")
    @CsvSource({"16KiB, 16384", "1MiB, 1048576", "2GiB, 2147483648", "8192, 8192", "0, 0", "10B, 10",
            "'64 KiB', 65536"})
    void readsPlainBytesOrABinaryUnit(String text, long bytes) {
        assertThat(ByteSizes.parseBytes(text)).isEqualTo(bytes);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"16KB", "1.5MiB", "-1", "1TiB", "16k", "lots"})
    void rejectsDecimalUnitsFractionsAndWords(String text) {
        assertThatIllegalArgumentException().isThrownBy(() -> ByteSizes.parseBytes(text))
                .withMessage("'" + text + "' is not a size (expected: bytes, or a size like 16KiB, 1MiB or 1GiB)");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"999999999999999GiB", "1234567890123456789", "99999999999999999999999KiB"})
    void rejectsASizeThatOverflows(String text) {
        assertThatIllegalArgumentException().isThrownBy(() -> ByteSizes.parseBytes(text))
                .withMessage("'" + text + "' is too large");
    }
}
