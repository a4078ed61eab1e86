package dev.ballast.core.health;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HealthCheckSettingsTest {

    private final HealthCheckSettings defaults = HealthCheckSettings.defaults();

    @Test
    void defaultsAreTheIssuesSample() {
        assertThat(defaults).isEqualTo(new HealthCheckSettings(
                Duration.ofSeconds(2), Duration.ofSeconds(1), 3, 2, Duration.ZERO, 0.1));
    }

    @Test
    void withersChangeOneSetting() {
        assertThat(defaults.withInterval(Duration.ofSeconds(5)).interval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(defaults.withTimeout(Duration.ofMillis(300)).timeout()).isEqualTo(Duration.ofMillis(300));
        assertThat(defaults.withThresholds(5, 4)).extracting(
                HealthCheckSettings::unhealthyThreshold, HealthCheckSettings::healthyThreshold).containsExactly(5, 4);
        assertThat(defaults.withInitialDelay(Duration.ofSeconds(1)).initialDelay()).isEqualTo(Duration.ofSeconds(1));
        assertThat(defaults.withJitter(0).jitter()).isZero();
    }

    @Test
    void rejectsInvalidSettingsWithWhatWasExpected() {
        assertThatThrownBy(() -> defaults.withInterval(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("interval: PT0S (expected: > 0)");
        assertThatThrownBy(() -> defaults.withTimeout(Duration.ofSeconds(-1)))
                .hasMessage("timeout: PT-1S (expected: > 0)");
        assertThatThrownBy(() -> defaults.withThresholds(0, 2))
                .hasMessage("unhealthy_threshold: 0 (expected: >= 1)");
        assertThatThrownBy(() -> defaults.withThresholds(3, 0))
                .hasMessage("healthy_threshold: 0 (expected: >= 1)");
        assertThatThrownBy(() -> defaults.withInitialDelay(Duration.ofMillis(-1)))
                .hasMessage("initial_delay: PT-0.001S (expected: >= 0)");
        assertThatThrownBy(() -> defaults.withJitter(1.0))
                .hasMessage("jitter: 1.0 (expected: a fraction in [0, 1), 0.1 for 10%)");
        assertThatThrownBy(() -> defaults.withJitter(Double.NaN)).hasMessageStartingWith("jitter: NaN");
        assertThatThrownBy(() -> defaults.withInterval(Duration.ofSeconds(Long.MAX_VALUE / 4)))
                .isInstanceOf(ArithmeticException.class);
    }
}
