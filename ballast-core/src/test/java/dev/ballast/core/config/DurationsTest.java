package dev.ballast.core.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class DurationsTest {

    @ParameterizedTest(name = "{0} = {1} ms")
    @CsvSource({"250ms, 250", "2s, 2000", "1m, 60000", "1h, 3600000", "0, 0", "0s, 0", "' 15s ', 15000",
            "2 s, 2000", "250 ms, 250", "0000000000001s, 1000"})
    void readsANumberWithAUnit(String text, long millis) {
        assertThat(Durations.parseMillis(text)).isEqualTo(millis);
    }

    @ParameterizedTest(name = "[{0}]")
    @CsvSource(delimiter = '|', value = {
            "15     | '15' has no unit (expected: a duration like 250ms, 2s, 1m or 1h)",
            "1.5s   | '1.5s' is not a duration (expected: a duration like 250ms, 2s, 1m or 1h)",
            "-1s    | '-1s' is not a duration (expected: a duration like 250ms, 2s, 1m or 1h)",
            "2  s   | '2  s' is not a duration (expected: a duration like 250ms, 2s, 1m or 1h)",
            "1d     | '1d' is not a duration (expected: a duration like 250ms, 2s, 1m or 1h)",
            "PT1S   | 'PT1S' is not a duration (expected: a duration like 250ms, 2s, 1m or 1h)",
            "''     | '' is not a duration (expected: a duration like 250ms, 2s, 1m or 1h)",
            "\u0661\u0665     | '\u0661\u0665' is not a duration (expected: a duration like 250ms, 2s, 1m or 1h)",
    })
    void rejectsAnythingElseSayingWhatIsExpected(String text, String message) {
        assertThatIllegalArgumentException().isThrownBy(() -> Durations.parseMillis(text)).withMessage(message);
    }

    @ParameterizedTest(name = "[{0}]")
    @CsvSource({"8760h, 31536000000", "525600m, 31536000000"})
    void acceptsUpToAYear(String text, long millis) {
        assertThat(Durations.parseMillis(text)).isEqualTo(millis);
    }

    @ParameterizedTest(name = "[{0}]")
    @CsvSource({"8761h", "3000000h", "999999999999h", "31536000001ms", "1000000000000h", "99999999999999999999999s"})
    void refusesMoreThanAYearSoThatNoTimeoutOverflows(String text) {
        assertThatIllegalArgumentException().isThrownBy(() -> Durations.parseMillis(text))
                .withMessage("'" + text + "' is too long (expected: at most 8760h, a year)");
    }

    @Test
    void aPositiveDurationRefusesZeroWhereZeroMayBeAllowed() {
        assertThat(Durations.parseMillis("0", 0)).isZero();
        assertThat(Durations.parseMillis("1ms", 1)).isEqualTo(1);
        assertThatIllegalArgumentException().isThrownBy(() -> Durations.parseMillis(" 0s ", 1))
                .withMessage("'0s' is too short (expected: more than 0)");
    }

    @ParameterizedTest(name = "{0} = {1} us")
    @CsvSource({"500us, 500", "500 us, 500", "750\u00b5s, 750", "750\u03bcs, 750", "2ms, 2000", "1s, 1000000", "1m, 60000000", "0, 0",
            "8760h, 31536000000000"})
    void microsecondsTakeUsBesideEveryOtherUnit(String text, long micros) {
        assertThat(Durations.parseMicros(text)).isEqualTo(micros);
    }

    @Test
    void microsecondsAreRefusedWhereAKeyCountsMilliseconds() {
        assertThatIllegalArgumentException().isThrownBy(() -> Durations.parseMillis("500us"))
                .withMessage("'500us' is not a duration (expected: a duration like 250ms, 2s, 1m or 1h)");
        assertThatIllegalArgumentException().isThrownBy(() -> Durations.parseMicros("1.5ms"))
                .withMessage("'1.5ms' is not a duration (expected: a duration like 500us, 2ms or 1s)");
        assertThatIllegalArgumentException().isThrownBy(() -> Durations.parseMicros("8761h"))
                .withMessage("'8761h' is too long (expected: at most 8760h, a year)");
    }

    @Test
    void aKeysOwnBoundIsTheOneItsMessageNamesHoweverFarAValueGoes() {
        assertThat(Durations.parseMicros("1s", 1_000_000, "1s")).isEqualTo(1_000_000);
        for (String text : new String[] {"1001ms", "2s", "9000h", "99999999999999999999h"}) {
            assertThatIllegalArgumentException().isThrownBy(() -> Durations.parseMicros(text, 1_000_000, "1s"))
                    .withMessage("'" + text + "' is too long (expected: at most 1s)");
        }
    }
}
