package dev.ballast.core.config;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class PercentagesTest {

    @Test
    void fractionsNeedTheSignAndStayWithinTheirRange() {
        assertThat(Percentages.parseFraction("10%")).isEqualTo(0.1);
        assertThat(Percentages.parseFraction("0")).isZero();
        assertThat(Percentages.parseFraction("99%", 0.99, "0% up to 99%")).isEqualTo(0.99);
        assertThatIllegalArgumentException().isThrownBy(() -> Percentages.parseFraction("10"))
                .withMessage("'10' has no % sign (expected: a percentage like 10% or 50%)");
        assertThatIllegalArgumentException().isThrownBy(() -> Percentages.parseFraction("ten%"))
                .withMessage("'ten%' is not a percentage (expected: a percentage like 10% or 50%)");
        assertThatIllegalArgumentException().isThrownBy(() -> Percentages.parseFraction("100%", 0.99, "0% up to 99%"))
                .withMessage("'100%' out of range (expected: 0% up to 99%)");
    }

    @Test
    void percentNumbersTakeTheSignOrNotUpToAHundred() {
        assertThat(Percentages.parsePercentNumber("20")).isEqualTo(20);
        assertThat(Percentages.parsePercentNumber("12.5 %")).isEqualTo(12.5);
        assertThat(Percentages.parseWholePercent("50%")).isEqualTo(50);
        assertThatIllegalArgumentException().isThrownBy(() -> Percentages.parsePercentNumber("-5"))
                .withMessage("'-5' is not a number (expected: a number of percent 0..100, like 20)");
        assertThatIllegalArgumentException().isThrownBy(() -> Percentages.parsePercentNumber("101%"))
                .withMessage("101% out of range (expected: 0..100)");
        assertThatIllegalArgumentException().isThrownBy(() -> Percentages.parseWholePercent("12.5"))
                .withMessage("12.5 is not a whole number (expected: 0..100)");
    }
}
