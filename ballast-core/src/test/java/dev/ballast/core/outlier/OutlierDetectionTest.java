package dev.ballast.core.outlier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OutlierDetectionTest {

    private static final long S = 1_000_000_000L;

    @Test
    void ejectionTimeDoublesPerOrdinalUpToTheCap() {
        OutlierDetection settings = OutlierDetection.of(5, Duration.ofSeconds(30), 50);
        assertThat(settings.ejectionNanos(1)).isEqualTo(30 * S);
        assertThat(settings.ejectionNanos(2)).isEqualTo(60 * S);
        assertThat(settings.ejectionNanos(3)).isEqualTo(120 * S);
        assertThat(settings.ejectionNanos(4)).isEqualTo(240 * S);
        assertThat(settings.ejectionNanos(5)).isEqualTo(300 * S); // Envoy's default cap
        assertThat(settings.ejectionNanos(64)).isEqualTo(300 * S);
        assertThat(settings.ejectionNanos(Integer.MAX_VALUE)).isEqualTo(300 * S);
    }

    @Test
    void theDefaultCapIsNeverBelowTheBase() {
        OutlierDetection settings = OutlierDetection.of(5, Duration.ofSeconds(600), 50);
        assertThat(settings.maxEjectionTime()).isEqualTo(Duration.ofSeconds(600));
        assertThat(settings.ejectionNanos(3)).isEqualTo(600 * S);
    }

    @ParameterizedTest(name = "{0} endpoints at {1}% -> {2}")
    @CsvSource({
            "10, 50, 5",
            "4, 50, 2",
            "3, 50, 1",
            "3, 10, 1",   // rounds down to 0, but one may always be ejected
            "1, 10, 1",
            "20, 10, 2",
            "5, 100, 5",
            "5, 0, 0",    // 0 turns ejection off
            "0, 50, 0",
    })
    void maxEjectedFollowsThePercentageWithAtLeastOne(int members, int percent, int expected) {
        OutlierDetection settings = OutlierDetection.of(5, Duration.ofSeconds(30), percent);
        assertThat(settings.maxEjected(members)).isEqualTo(expected);
    }

    @Test
    void defaultsAreEnvoys() {
        OutlierDetection defaults = OutlierDetection.defaults();
        assertThat(defaults.consecutiveFailures()).isEqualTo(5);
        assertThat(defaults.baseEjectionTime()).isEqualTo(Duration.ofSeconds(30));
        assertThat(defaults.maxEjectionPercent()).isEqualTo(10);
        assertThat(defaults.maxEjectionTime()).isEqualTo(Duration.ofSeconds(300));
    }

    @Test
    void rejectsInvalidSettingsWithWhatWasExpected() {
        assertThatThrownBy(() -> OutlierDetection.of(0, Duration.ofSeconds(30), 50))
                .hasMessage("consecutive_failures: 0 (expected: >= 1)");
        assertThatThrownBy(() -> OutlierDetection.of(5, Duration.ZERO, 50))
                .hasMessage("base_ejection_time: PT0S (expected: > 0)");
        assertThatThrownBy(() -> OutlierDetection.of(5, Duration.ofSeconds(30), 101))
                .hasMessage("max_ejection_percent: 101 (expected: 0..100)");
        assertThatThrownBy(() -> OutlierDetection.of(5, Duration.ofSeconds(30), 50).withMaxEjectionTime(Duration.ofSeconds(10)))
                .hasMessage("max_ejection_time: PT10S (expected: >= base_ejection_time PT30S)");
        assertThatThrownBy(() -> OutlierDetection.defaults().withDecayInterval(Duration.ZERO))
                .hasMessage("decay_interval: PT0S (expected: > 0)");
    }

    @Test
    void outcomesOfStatusesCountOnly5xx() {
        assertThat(Outcome.ofStatus(500)).isEqualTo(Outcome.SERVER_ERROR);
        assertThat(Outcome.ofStatus(503)).isEqualTo(Outcome.SERVER_ERROR);
        assertThat(Outcome.ofStatus(599)).isEqualTo(Outcome.SERVER_ERROR);
        assertThat(Outcome.ofStatus(404)).isEqualTo(Outcome.SUCCESS);
        assertThat(Outcome.ofStatus(200)).isEqualTo(Outcome.SUCCESS);
        assertThat(Outcome.CONNECT_FAILURE.description()).isEqualTo("connect failure");
    }
}
