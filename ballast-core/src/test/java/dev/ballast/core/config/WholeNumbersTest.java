package dev.ballast.core.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class WholeNumbersTest {

    @Test
    void readsAsciiDigitsUpToWhatALongHolds() {
        assertThat(WholeNumbers.parse("0")).isZero();
        assertThat(WholeNumbers.parse("503")).isEqualTo(503);
        assertThat(WholeNumbers.parse("0200")).isEqualTo(200);
        assertThat(WholeNumbers.parse("9223372036854775807")).isEqualTo(Long.MAX_VALUE);
        assertThat(WholeNumbers.parse("0009223372036854775807")).isEqualTo(Long.MAX_VALUE);
        assertThat(WholeNumbers.parse("9223372036854775808")).as("past a long").isEqualTo(-1);
        assertThat(WholeNumbers.parse("99999999999999999999")).isEqualTo(-1);
        assertThat(WholeNumbers.isAsciiDigits("0123456789")).isTrue();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    // Arabic-Indic, Extended Arabic-Indic, Devanagari and fullwidth digits: Character.isDigit and
    // Long.parseLong take them all. A sign, a space, an empty text.
    @ValueSource(strings = {"\u0665\u0660\u0663", "\u06f5\u06f0\u06f3", "\u096b\u0966\u0969", "\uff15\uff10\uff13",
            "5\u0660\u0663", "+503", "-1", " 503", "503 ", "5_03", "0x1F", "", "1.0"})
    void anythingButAsciiDigitsIsNoWholeNumber(String text) {
        assertThat(WholeNumbers.isAsciiDigits(text)).isFalse();
        assertThat(WholeNumbers.parse(text)).isEqualTo(-1);
    }
}
