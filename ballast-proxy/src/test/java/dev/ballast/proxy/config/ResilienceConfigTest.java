package dev.ballast.proxy.config;

import dev.ballast.core.config.StatusCodes;
import dev.ballast.core.health.HealthCheckSettings;
import dev.ballast.core.outlier.OutlierDetection;
import dev.ballast.core.resilience.Backoff;
import dev.ballast.core.resilience.RetryPolicy.Condition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The resilience keys of an upstream: the issue's example, the defaults, and every way to get them wrong. */
class ResilienceConfigTest {

    private static final String HEAD = """
            listeners: [{ name: public, address: 127.0.0.1:8080 }]
            routes: [{ upstream: api }]
            upstreams:
              api:
                endpoints: [127.0.0.1:9001, 127.0.0.1:9002]
            """;

    private static ConfigResult parse(String upstreamKeys) {
        String indented = upstreamKeys.stripTrailing().lines().map(line -> "    " + line)
                .reduce((a, b) -> a + "\n" + b).orElse("");
        return ConfigLoader.parse(HEAD + indented + "\n", "test.yaml", name -> null);
    }

    private static ResilienceConfig resilience(String upstreamKeys) {
        ConfigResult result = parse(upstreamKeys);
        assertThat(result.errors()).isEmpty();
        return result.config().upstreams().get("api").resilience();
    }

    private static List<String> errors(String upstreamKeys) {
        return parse(upstreamKeys).errors().stream().map(ConfigProblem::format).toList();
    }

    private static List<String> warnings(String upstreamKeys) {
        return parse(upstreamKeys).warnings().stream().map(ConfigProblem::format).toList();
    }

    @Test
    void readsTheIssuesExample() {
        ResilienceConfig config = resilience("""
                health_check:
                  path: /healthz
                  interval: 2s
                  timeout: 1s
                  unhealthy_threshold: 3
                  healthy_threshold: 2
                  expected_status: 200-399
                  initial_delay: 0s
                  jitter: 10%
                outlier_detection:
                  consecutive_failures: 5
                  base_ejection_time: 30s
                  max_ejection_percent: 50
                retries:
                  attempts: 2
                  retry_on: [connect-failure, reset, 502, 503, 504]
                  per_try_timeout: 2s
                  budget_percent: 20
                  backoff: { base: 25ms, max: 250ms }
                circuit_breaker:
                  max_connections: 1024
                  max_pending_requests: 1024
                  max_requests: 1024
                slow_start: 30s
                panic_threshold: 50%
                """);

        assertThat(config.healthCheck()).isEqualTo(new HealthCheckConfig(HealthCheckConfig.Type.HTTP, "/healthz",
                StatusCodes.range(200, 399), new HealthCheckSettings(Duration.ofSeconds(2), Duration.ofSeconds(1), 3, 2,
                        Duration.ZERO, 0.1)));
        assertThat(config.outlierDetection()).isEqualTo(OutlierDetection.of(5, Duration.ofSeconds(30), 50));
        assertThat(config.retries()).isEqualTo(new RetryConfig(2, EnumSet.of(Condition.CONNECT_FAILURE, Condition.RESET),
                Set.of(502, 503, 504), Duration.ofSeconds(2), 20, Backoff.exponential(Duration.ofMillis(25),
                Duration.ofMillis(250))));
        assertThat(config.circuitBreaker()).isEqualTo(new CircuitBreakerConfig(1024, 1024, 1024));
        assertThat(config.slowStart()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.panicThreshold()).isEqualTo(0.5);
    }

    @Test
    void anUpstreamWithoutTheKeysGetsTheDocumentedDefaults() {
        ResilienceConfig config = resilience("");

        assertThat(config).isEqualTo(ResilienceConfig.defaults());
        assertThat(config.healthCheck()).as("no active checks unless asked for").isNull();
        assertThat(config.outlierDetection()).as("dead endpoints are routed around by default")
                .isEqualTo(OutlierDetection.of(5, Duration.ofSeconds(30), 50));
        assertThat(config.retries().attempts()).isEqualTo(1);
        assertThat(config.retries().retryOn()).containsExactlyInAnyOrder(Condition.CONNECT_FAILURE, Condition.RESET);
        assertThat(config.retries().retryStatuses()).isEmpty();
        assertThat(config.retries().budgetPercent()).isEqualTo(20);
        assertThat(config.circuitBreaker()).isEqualTo(new CircuitBreakerConfig(1024, 1024, 1024));
        assertThat(config.slowStart()).isZero();
        assertThat(config.panicThreshold()).isEqualTo(0.5);
    }

    @Test
    void keysLeftOutOfASectionTakeTheirDefaults() {
        ResilienceConfig config = resilience("""
                health_check: { path: /ready, unhealthy_threshold: 5 }
                retries: { per_try_timeout: 500ms, backoff: { base: 1s } }
                outlier_detection: { consecutive_failures: 3 }
                circuit_breaker: { max_requests: 10 }
                """);

        assertThat(config.healthCheck().settings()).isEqualTo(HealthCheckSettings.defaults().withThresholds(5, 2));
        assertThat(config.healthCheck().expectedStatus()).isEqualTo(StatusCodes.successOrRedirect());
        assertThat(config.retries().attempts()).isEqualTo(1);
        assertThat(config.retries().perTryTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(config.retries().backoff()).as("max defaults to the larger of 250ms and base")
                .isEqualTo(Backoff.exponential(Duration.ofSeconds(1), Duration.ofSeconds(1)));
        assertThat(config.outlierDetection()).isEqualTo(OutlierDetection.of(3, Duration.ofSeconds(30), 50));
        assertThat(config.circuitBreaker()).isEqualTo(new CircuitBreakerConfig(1024, 1024, 10));
    }

    @Test
    void aTcpCheckNeedsNoPath() {
        HealthCheckConfig check = resilience("health_check: { type: tcp, interval: 500ms }").healthCheck();

        assertThat(check.type()).isEqualTo(HealthCheckConfig.Type.TCP);
        assertThat(check.path()).isNull();
        assertThat(check.settings().interval()).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void expectedStatusTakesCodesRangesAndLists() {
        StatusCodes text = resilience("health_check: { path: /h, expected_status: '200-204, 301' }")
                .healthCheck().expectedStatus();
        StatusCodes list = resilience("health_check: { path: /h, expected_status: [200, 204-206] }")
                .healthCheck().expectedStatus();

        assertThat(text.toString()).isEqualTo("200-204, 301");
        assertThat(text.contains(204)).isTrue();
        assertThat(text.contains(300)).isFalse();
        assertThat(list.toString()).isEqualTo("200, 204-206");
        assertThat(list.contains(205)).isTrue();
        assertThat(list.contains(201)).isFalse();
    }

    @Test
    void percentagesMayBeWrittenWithOrWithoutTheirSignWhereTheKeySaysPercent() {
        ResilienceConfig config = resilience("""
                outlier_detection: { max_ejection_percent: 30% }
                retries: { budget_percent: 12.5 }
                panic_threshold: 0
                """);

        assertThat(config.outlierDetection().maxEjectionPercent()).isEqualTo(30);
        assertThat(config.retries().budgetPercent()).isEqualTo(12.5);
        assertThat(config.panicThreshold()).as("0 turns panic mode off").isZero();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            health_check: { interval: 1s }                     | upstreams.api.health_check: missing 'path' (expected: the path an HTTP check asks for, like /healthz; or type: tcp to check that a connection opens) (line 6)
            health_check: { path: healthz }                    | upstreams.api.health_check.path: 'healthz' does not start with '/' (expected: a path like /healthz) (line 6)
            health_check: { type: tpc, path: /h }              | upstreams.api.health_check.type: unknown check type 'tpc'; did you mean 'tcp'? (expected: http or tcp) (line 6)
            health_check: { type: tcp, path: /h }              | upstreams.api.health_check.path: a tcp check sends no request (expected: type http, or no path) (line 6)
            health_check: { path: /h, jitter: 0.1 }            | upstreams.api.health_check.jitter: '0.1' has no % sign (expected: a percentage like 10% or 50%) (line 6)
            health_check: { path: /h, jitter: 100% }           | upstreams.api.health_check.jitter: '100%' out of range (expected: 0% up to 99%) (line 6)
            health_check: { path: /h, interval: 0 }            | upstreams.api.health_check.interval: '0' is too short (expected: more than 0) (line 6)
            health_check: { path: /h, unhealthy_threshold: 0 } | upstreams.api.health_check.unhealthy_threshold: 0 out of range (expected: 1..1000) (line 6)
            health_check: { path: /h, expected_status: 399-200 } | upstreams.api.health_check.expected_status: '399-200' is an empty range (expected: the lower code first, like 200-399) (line 6)
            health_check: { path: /h, expected_status: 2xx }   | upstreams.api.health_check.expected_status: '2xx' is not a status code or range (expected: status codes 200..599 as a range like 200-399, or codes and ranges separated by commas) (line 6)
            health_check: { path: /h, expected_status: ٢٠٠-٣٩٩ } | upstreams.api.health_check.expected_status: '٢٠٠-٣٩٩' is not a status code or range (expected: status codes 200..599 as a range like 200-399, or codes and ranges separated by commas) (line 6)
            health_check: { path: /h, expected_status: 700 }   | upstreams.api.health_check.expected_status: status 700 out of range (expected: 200..599) (line 6)
            health_check: { path: /h, expected_status: 100-399 } | upstreams.api.health_check.expected_status: '100-399' has 1xx codes, which are interim: a check waits past them for the final status (expected: 200..599) (line 6)
            health_check: { path: /h, expected_status: [200, 103] } | upstreams.api.health_check.expected_status: '103' is a 1xx code, which is interim: a check waits past it for the final status (expected: 200..599) (line 6)
            health_check: { path: /h, interval_ms: 5 }         | upstreams.api.health_check.interval_ms: unknown key; did you mean 'interval'? (line 6)
            outlier_detection: { consecutive_failures: 0 }     | upstreams.api.outlier_detection.consecutive_failures: 0 out of range (expected: 1..1000) (line 6)
            outlier_detection: { max_ejection_percent: 150 }   | upstreams.api.outlier_detection.max_ejection_percent: 150 out of range (expected: 0..100) (line 6)
            outlier_detection: { max_ejection_percent: 12.5 }  | upstreams.api.outlier_detection.max_ejection_percent: 12.5 is not a whole number (expected: 0..100) (line 6)
            outlier_detection: { base_ejection_time: 30 }      | upstreams.api.outlier_detection.base_ejection_time: '30' has no unit (expected: a duration like 250ms, 2s, 1m or 1h) (line 6)
            retries: { attempts: 11 }                          | upstreams.api.retries.attempts: 11 out of range (expected: 0..10) (line 6)
            retries: { retry_on: [rest] }                      | upstreams.api.retries.retry_on[0]: unknown retry condition 'rest'; did you mean 'reset'? (expected: connect-failure, reset, timeout, or a status code 400..599 such as 503) (line 6)
            retries: { retry_on: [200] }                       | upstreams.api.retries.retry_on[0]: status 200 out of range (expected: 400..599, such as 502, 503, 504) (line 6)
            retries: { retry_on: [٥٠٣] }                       | upstreams.api.retries.retry_on[0]: unknown retry condition '٥٠٣' (expected: connect-failure, reset, timeout, or a status code 400..599 such as 503) (line 6)
            retries: { budget_percent: lots }                  | upstreams.api.retries.budget_percent: 'lots' is not a number (expected: a number of percent 0..100, like 20) (line 6)
            retries: { backoff: { base: 1s, max: 100ms } }     | upstreams.api.retries.backoff.max: 100ms is less than base (1000ms) (expected: at least base) (line 6)
            circuit_breaker: { max_requests: 0 }               | upstreams.api.circuit_breaker.max_requests: 0 out of range (expected: 1..10000000) (line 6)
            circuit_breaker: { max_request: 5 }                | upstreams.api.circuit_breaker.max_request: unknown key; did you mean 'max_requests'? (line 6)
            slow_start: soon                                   | upstreams.api.slow_start: 'soon' is not a duration (expected: a duration like 250ms, 2s, 1m or 1h) (line 6)
            slow_start: 25h                                    | upstreams.api.slow_start: '25h' is too long (expected: at most 24h) (line 6)
            panic_threshold: 150%                              | upstreams.api.panic_threshold: '150%' out of range (expected: 0% up to 100%) (line 6)
            panic_threshold: 0.5                               | upstreams.api.panic_threshold: '0.5' has no % sign (expected: a percentage like 10% or 50%) (line 6)
            """)
    void reportsAWrongValueWithItsPathAndLine(String yaml, String error) {
        assertThat(errors(yaml)).containsExactly(error);
    }

    @Test
    void anEmptyRetryOnKeyKeepsTheDefaultConditionsAndAnEmptyListIsAnError() {
        RetryConfig defaults = RetryConfig.defaults();
        RetryConfig emptyKey = resilience("""
                retries:
                  attempts: 2
                  retry_on:
                """).retries();
        assertThat(emptyKey.retryOn()).isEqualTo(defaults.retryOn());
        assertThat(emptyKey.retryStatuses()).isEqualTo(defaults.retryStatuses());

        assertThat(errors("retries: { attempts: 2, retry_on: [] }")).containsExactly("upstreams.api.retries.retry_on:"
                + " an empty list retries nothing (expected: conditions such as [connect-failure, reset, 503]; to turn"
                + " retries off, set attempts: 0) (line 6)");
        assertThat(errors("retries: { attempts: 0, retry_on: [] }")).isEmpty();
    }

    @Test
    void warnsAboutRetrySettingsThatCannotTakeEffect() {
        assertThat(warnings("""
                response_timeout: 2s
                retries: { retry_on: [timeout], per_try_timeout: 2s }
                """)).containsExactly("upstreams.api.retries.per_try_timeout: not shorter than response_timeout (2000ms),"
                + " which ends the request first: a try that times out is never retried (line 7)");
        assertThat(warnings("retries: { retry_on: [reset, timeout] }")).containsExactly("upstreams.api.retries.retry_on:"
                + " 'timeout' is retried only with a per_try_timeout shorter than response_timeout; without one a try"
                + " that times out has used up the request's time (line 6)");
    }
}
