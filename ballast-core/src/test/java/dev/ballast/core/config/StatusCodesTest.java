package dev.ballast.core.config;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class StatusCodesTest {

    @Test
    void parsesCodesAndRangesFromSeveralPartsIntoOneCanonicalSet() {
        StatusCodes codes = StatusCodes.parse(List.of("200-204, 301", " 206 ", "205"));

        assertThat(codes).hasToString("200-206, 301");
        assertThat(codes.contains(203)).isTrue();
        assertThat(codes.contains(300)).isFalse();
        assertThat(codes.contains(99_999)).isFalse();
        assertThat(codes.lowest()).isEqualTo(200);
        assertThat(codes.highest()).isEqualTo(301);
        assertThat(codes.isOneRange()).isFalse();
        assertThat(StatusCodes.parse(List.of("200-399"))).isEqualTo(StatusCodes.successOrRedirect());
        assertThat(StatusCodes.successOrRedirect().isOneRange()).isTrue();
    }

    @Test
    void refusesWhatIsNotACodeSetSayingWhichPartAndWhatIsExpected() {
        assertThatIllegalArgumentException().isThrownBy(() -> StatusCodes.parse(List.of("200-abc")))
                .withMessage("'200-abc' is not a status code or range (expected: " + StatusCodes.EXPECTED + ")");
        assertThatIllegalArgumentException().isThrownBy(() -> StatusCodes.parse(List.of("399-200")))
                .withMessage("'399-200' is an empty range (expected: the lower code first, like 200-399)");
        assertThatIllegalArgumentException().isThrownBy(() -> StatusCodes.parse(List.of("200, 600")))
                .withMessage("status 600 out of range (expected: 200..599)");
        assertThatIllegalArgumentException().isThrownBy(() -> StatusCodes.parse(List.of("100-399")))
                .withMessage("'100-399' has 1xx codes, which are interim: a check waits past them for the final"
                        + " status (expected: 200..599)");
        assertThatIllegalArgumentException().isThrownBy(() -> StatusCodes.parse(List.of("200", "101")))
                .withMessage("'101' is a 1xx code, which is interim: a check waits past it for the final status"
                        + " (expected: 200..599)");
        assertThatIllegalArgumentException().isThrownBy(() -> StatusCodes.range(100, 399))
                .withMessage("status 100 out of range (expected: 200..599)");
        assertThatIllegalArgumentException().isThrownBy(() -> StatusCodes.parse(List.of()))
                .withMessage("no status codes (expected: " + StatusCodes.EXPECTED + ")");
    }

    @Test
    void aCodeIsAsciiDigitsOnly() {
        // Integer.parseInt reads any script's digits and a sign: Arabic-Indic ٢٠٠-٣٩٩ was 200-399.
        String arabicIndic = "\u0662\u0660\u0660-\u0663\u0669\u0669";
        assertThatIllegalArgumentException().isThrownBy(() -> StatusCodes.parse(List.of(arabicIndic)))
                .withMessage("'" + arabicIndic + "' is not a status code or range (expected: "
                        + StatusCodes.EXPECTED + ")");
        assertThatIllegalArgumentException().isThrownBy(() -> StatusCodes.parse(List.of("200, \u0665\u0660\u0663")))
                .withMessage("'\u0665\u0660\u0663' is not a status code or range (expected: "
                        + StatusCodes.EXPECTED + ")");
        assertThatIllegalArgumentException().isThrownBy(() -> StatusCodes.parse(List.of("+200")))
                .withMessage("'+200' is not a status code or range (expected: " + StatusCodes.EXPECTED + ")");
        // Digits past an int are a code out of range too (Integer.parseInt threw: not a status code).
        assertThatIllegalArgumentException().isThrownBy(() -> StatusCodes.parse(List.of("200-99999999999")))
                .withMessage("status 99999999999 out of range (expected: 200..599)");
        assertThatIllegalArgumentException().isThrownBy(() -> StatusCodes.parse(List.of("200-99999999999999999999")))
                .as("and past a long").withMessage("status 99999999999999999999 out of range (expected: 200..599)");
        assertThat(StatusCodes.parse(List.of("0200-0204"))).hasToString("200-204");
    }
}
