package dev.ballast.core.resilience;

import dev.ballast.core.resilience.RetryPolicy.Condition;
import dev.ballast.core.resilience.RetryPolicy.Decision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RetryPolicyTest {

    /** The sample: attempts 2, retry_on [connect-failure, reset, 502, 503, 504]. */
    private final RetryPolicy policy = RetryPolicy.builder()
            .attempts(2)
            .retryOn(EnumSet.of(Condition.CONNECT_FAILURE, Condition.RESET))
            .retryStatuses(Set.of(502, 503, 504))
            .perTryTimeout(Duration.ofSeconds(2))
            .backoff(Backoff.exponential(Duration.ofMillis(25), Duration.ofMillis(250)))
            .build();

    @ParameterizedTest
    @ValueSource(strings = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
    void idempotentMethodsAreRetriedEvenAfterTheBodyWasSent(String method) {
        assertThat(policy.onFailure(Condition.RESET, method, true, 1)).isEqualTo(Decision.RETRY);
        assertThat(policy.onStatus(503, method, true, 1)).isEqualTo(Decision.RETRY);
    }

    @ParameterizedTest
    @ValueSource(strings = {"POST", "PATCH", "CONNECT", "get", "PROPFIND"})
    void otherMethodsAreNotRetriedOnceTheBodyWasSent(String method) {
        assertThat(policy.onFailure(Condition.RESET, method, true, 1)).isEqualTo(Decision.NOT_IDEMPOTENT);
        assertThat(policy.onStatus(503, method, true, 1)).isEqualTo(Decision.NOT_IDEMPOTENT);
    }

    @Test
    void otherMethodsAreRetriedWhileTheBodyWasNotSent() {
        assertThat(policy.onFailure(Condition.RESET, "POST", false, 1)).isEqualTo(Decision.RETRY);
        assertThat(policy.onStatus(503, "PATCH", false, 1)).isEqualTo(Decision.RETRY);
    }

    @Test
    void connectFailuresAreRetriedForAnyMethod() {
        assertThat(policy.onFailure(Condition.CONNECT_FAILURE, "POST", true, 1)).isEqualTo(Decision.RETRY);
        assertThat(policy.onFailure(Condition.CONNECT_FAILURE, null, true, 1)).isEqualTo(Decision.RETRY);
    }

    @Test
    void failuresOutsideRetryOnAreNotRetried() {
        assertThat(policy.onFailure(Condition.TIMEOUT, "GET", false, 1)).isEqualTo(Decision.NOT_RETRYABLE);
        assertThat(policy.onFailure(null, "GET", false, 1)).isEqualTo(Decision.NOT_RETRYABLE);
        assertThat(policy.onStatus(500, "GET", false, 1)).isEqualTo(Decision.NOT_RETRYABLE);
        assertThat(policy.onStatus(200, "GET", false, 1)).isEqualTo(Decision.NOT_RETRYABLE);
        assertThat(policy.onStatus(404, "GET", false, 1)).isEqualTo(Decision.NOT_RETRYABLE);
        assertThat(policy.onStatus(-1, "GET", false, 1)).isEqualTo(Decision.NOT_RETRYABLE);
        assertThat(policy.onStatus(10_000, "GET", false, 1)).isEqualTo(Decision.NOT_RETRYABLE);
    }

    @Test
    void attemptsAreExtraTriesAfterTheFirst() {
        assertThat(policy.maxTries()).isEqualTo(3);
        assertThat(policy.onStatus(502, "GET", true, 1)).isEqualTo(Decision.RETRY);
        assertThat(policy.onStatus(502, "GET", true, 2)).isEqualTo(Decision.RETRY);
        assertThat(policy.onStatus(502, "GET", true, 3)).isEqualTo(Decision.ATTEMPTS_EXHAUSTED);
        assertThat(policy.onFailure(Condition.CONNECT_FAILURE, "POST", true, 3))
                .isEqualTo(Decision.ATTEMPTS_EXHAUSTED);
    }

    @Test
    void noneNeverRetries() {
        RetryPolicy none = RetryPolicy.none();
        assertThat(none.maxTries()).isEqualTo(1);
        assertThat(none.onFailure(Condition.CONNECT_FAILURE, "GET", false, 1)).isEqualTo(Decision.ATTEMPTS_EXHAUSTED);
        assertThat(none.onStatus(503, "GET", false, 1).retry()).isFalse();
    }

    @Test
    void timeoutIsRetriedOnlyWhenListed() {
        RetryPolicy withTimeout = RetryPolicy.builder().attempts(1)
                .retryOn(EnumSet.allOf(Condition.class)).retryStatuses(Set.of()).build();
        assertThat(withTimeout.onFailure(Condition.TIMEOUT, "GET", true, 1)).isEqualTo(Decision.RETRY);
        assertThat(withTimeout.onFailure(Condition.TIMEOUT, "POST", true, 1)).isEqualTo(Decision.NOT_IDEMPOTENT);
        assertThat(withTimeout.onStatus(503, "GET", true, 1)).isEqualTo(Decision.NOT_RETRYABLE);
    }

    @Test
    void exposesItsSettingsForWiring() {
        assertThat(policy.attempts()).isEqualTo(2);
        assertThat(policy.retryStatuses()).containsExactly(502, 503, 504);
        assertThat(policy.retryOn()).containsExactlyInAnyOrder(Condition.CONNECT_FAILURE, Condition.RESET);
        assertThat(policy.perTryTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(policy.backoff().max()).isEqualTo(Duration.ofMillis(250));
        assertThat(policy.retriesStatus(503)).isTrue();
        assertThat(policy.retriesStatus(501)).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Condition.class)
    void conditionsAreNamedAsInTheConfiguration(Condition condition) {
        assertThat(Condition.fromConfigName(condition.configName())).isSameAs(condition);
        assertThat(Condition.fromConfigName("5xx")).isNull();
    }

    @Test
    void rejectsInvalidSettingsWithWhatWasExpected() {
        assertThatThrownBy(() -> RetryPolicy.builder().attempts(-1))
                .hasMessage("attempts: -1 (expected: 0..10)");
        assertThatThrownBy(() -> RetryPolicy.builder().retryStatuses(Set.of(200)))
                .hasMessage("retry_on: status 200 (expected: 400..599)");
        assertThatThrownBy(() -> RetryPolicy.builder().perTryTimeout(Duration.ofMillis(-5)))
                .hasMessageStartingWith("per_try_timeout:");
    }
}
