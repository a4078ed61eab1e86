package dev.ballast.proxy.config;

import dev.ballast.core.config.Durations;
import dev.ballast.core.config.HealthCheckPaths;
import dev.ballast.core.config.Parsing;
import dev.ballast.core.config.Percentages;
import dev.ballast.core.config.StatusCodes;
import dev.ballast.core.config.Suggestions;
import dev.ballast.core.config.WholeNumbers;
import dev.ballast.core.health.HealthCheckSettings;
import dev.ballast.core.outlier.OutlierDetection;
import dev.ballast.core.resilience.Backoff;
import dev.ballast.core.resilience.CircuitBreaker;
import dev.ballast.core.resilience.RetryPolicy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads an upstream's resilience keys: {@code health_check}, {@code outlier_detection}, {@code
 * retries}, {@code circuit_breaker}, {@code slow_start} and {@code panic_threshold}. A wrong value is
 * reported with its path and line and replaced by the default, so one load reports everything.
 */
final class ResilienceReader {

    static final List<String> KEYS = List.of("health_check", "outlier_detection", "retries", "circuit_breaker",
            "slow_start", "panic_threshold");

    private static final List<String> HEALTH_CHECK_KEYS = List.of("type", "path", "interval", "timeout",
            "unhealthy_threshold", "healthy_threshold", "expected_status", "initial_delay", "jitter");
    private static final List<String> OUTLIER_KEYS = List.of("consecutive_failures", "base_ejection_time",
            "max_ejection_percent");
    private static final List<String> RETRY_KEYS = List.of("attempts", "retry_on", "per_try_timeout",
            "budget_percent", "backoff");
    private static final List<String> BACKOFF_KEYS = List.of("base", "max");
    private static final List<String> BREAKER_KEYS = List.of("max_connections", "max_pending_requests",
            "max_requests");
    private static final List<String> CHECK_TYPES = List.of("http", "tcp");
    private static final List<String> CONDITIONS = Arrays.stream(RetryPolicy.Condition.values())
            .map(RetryPolicy.Condition::configName).toList();
    private static final String RETRY_ON_EXPECTED = String.join(", ", CONDITIONS)
            + ", or a status code 400..599 such as 503";
    private static final int MAX_THRESHOLD = 1_000;
    private static final int MAX_LIMIT = 10_000_000;
    private static final long MAX_DURATION_MILLIS = 24 * 3_600_000L;

    private ResilienceReader() {
    }

    /** The resilience settings of the upstream {@code section}, whose response timeout is given. */
    static ResilienceConfig read(Section section, long responseTimeoutMillis) {
        ResilienceConfig d = ResilienceConfig.defaults();
        HealthCheckConfig healthCheck = section.get("health_check").flatMap(ResilienceReader::healthCheck).orElse(null);
        OutlierDetection outliers = section.get("outlier_detection").flatMap(ResilienceReader::outlierDetection)
                .orElse(d.outlierDetection());
        RetryConfig retries = section.get("retries").flatMap(value -> retries(value, responseTimeoutMillis))
                .orElse(d.retries());
        CircuitBreakerConfig breaker = section.get("circuit_breaker").flatMap(ResilienceReader::circuitBreaker)
                .orElse(d.circuitBreaker());
        Duration slowStart = Duration.ofMillis(duration(section, "slow_start", 0, 0));
        double panic = section.get("panic_threshold")
                .flatMap(value -> fraction(value, 1.0, "0% up to 100%")).orElse(d.panicThreshold());
        return new ResilienceConfig(healthCheck, outliers, retries, breaker, slowStart, panic);
    }

    // ---- health_check ----

    private static Optional<HealthCheckConfig> healthCheck(Value value) {
        return value.section(HEALTH_CHECK_KEYS).flatMap(section -> {
            HealthCheckSettings d = HealthCheckSettings.defaults();
            Optional<String> path = section.get("path").flatMap(ResilienceReader::checkPath);
            HealthCheckConfig.Type type = section.get("type").flatMap(ResilienceReader::checkType)
                    .orElse(HealthCheckConfig.Type.HTTP);
            boolean typeGiven = section.has("type");
            if (type == HealthCheckConfig.Type.TCP && section.has("path")) {
                section.get("path").orElseThrow()
                        .error("a tcp check sends no request (expected: type http, or no path)");
            }
            if (type == HealthCheckConfig.Type.TCP && section.has("expected_status")) {
                section.get("expected_status").orElseThrow()
                        .error("a tcp check gets no status (expected: type http, or no expected_status)");
            }
            // Not after a misspelt path or type ("paht", "typ: tcp"): that was reported, and says what is meant.
            if (type == HealthCheckConfig.Type.HTTP && !section.has("path") && !section.misspelt("path")
                    && !section.misspelt("type")) {
                section.error("missing 'path' (expected: the path an HTTP check asks for, like /healthz"
                        + (typeGiven ? ")" : "; or type: tcp to check that a connection opens)"));
            }
            StatusCodes expected = section.get("expected_status").flatMap(ResilienceReader::statusCodes)
                    .orElse(StatusCodes.successOrRedirect());
            long interval = duration(section, "interval", d.interval().toMillis(), 1);
            long timeout = duration(section, "timeout", d.timeout().toMillis(), 1);
            int unhealthy = section.integer("unhealthy_threshold", d.unhealthyThreshold(), 1, MAX_THRESHOLD);
            int healthy = section.integer("healthy_threshold", d.healthyThreshold(), 1, MAX_THRESHOLD);
            long initialDelay = duration(section, "initial_delay", d.initialDelay().toMillis(), 0);
            double jitter = section.get("jitter").flatMap(v -> fraction(v, 0.99, "0% up to 99%")).orElse(d.jitter());
            HealthCheckSettings settings = new HealthCheckSettings(Duration.ofMillis(interval),
                    Duration.ofMillis(timeout), unhealthy, healthy, Duration.ofMillis(initialDelay), jitter);
            if (type == HealthCheckConfig.Type.HTTP && path.isEmpty()) {
                return Optional.empty(); // reported above
            }
            return Optional.of(new HealthCheckConfig(type, type == HealthCheckConfig.Type.HTTP ? path.get() : null,
                    expected, settings));
        });
    }

    private static Optional<String> checkPath(Value value) {
        return value.word("a path like /healthz").filter(path -> {
            String problem = HealthCheckPaths.problem(path);
            if (problem != null) {
                value.error(problem);
                return false;
            }
            return true;
        });
    }

    private static Optional<HealthCheckConfig.Type> checkType(Value value) {
        return value.word("http or tcp").flatMap(text -> {
            if (CHECK_TYPES.contains(text)) {
                return Optional.of(text.equals("tcp") ? HealthCheckConfig.Type.TCP : HealthCheckConfig.Type.HTTP);
            }
            value.error("unknown check type '" + text + "'" + Suggestions.hint(text, CHECK_TYPES)
                    + " (expected: http or tcp)");
            return Optional.empty();
        });
    }

    private static Optional<StatusCodes> statusCodes(Value value) {
        Optional<List<String>> parts;
        if (value.isSequence()) {
            parts = value.items(StatusCodes.EXPECTED).map(items -> {
                List<String> texts = new ArrayList<>();
                items.forEach(item -> item.word(StatusCodes.EXPECTED).ifPresent(texts::add));
                return texts.size() == items.size() ? texts : null;
            });
        } else {
            parts = value.word(StatusCodes.EXPECTED).map(List::of);
        }
        return parts.flatMap(texts -> Parsing.attempt(texts, StatusCodes::parse, value::error));
    }

    // ---- outlier_detection ----

    private static Optional<OutlierDetection> outlierDetection(Value value) {
        return value.section(OUTLIER_KEYS).map(section -> {
            int failures = section.integer("consecutive_failures", ResilienceConfig.DEFAULT_CONSECUTIVE_FAILURES,
                    1, MAX_THRESHOLD);
            long base = duration(section, "base_ejection_time",
                    ResilienceConfig.DEFAULT_BASE_EJECTION_TIME.toMillis(), 1);
            int percent = section.get("max_ejection_percent").flatMap(ResilienceReader::wholePercent)
                    .orElse(ResilienceConfig.DEFAULT_MAX_EJECTION_PERCENT);
            return OutlierDetection.of(failures, Duration.ofMillis(base), percent);
        });
    }

    // ---- retries ----

    private static Optional<RetryConfig> retries(Value value, long responseTimeoutMillis) {
        return value.section(RETRY_KEYS).map(section -> {
            RetryConfig d = RetryConfig.defaults();
            int attempts = section.integer("attempts", d.attempts(), 0, 10);
            Set<RetryPolicy.Condition> conditions = EnumSet.noneOf(RetryPolicy.Condition.class);
            Set<Integer> statuses = new TreeSet<>();
            Value retryOn = section.get("retry_on").orElse(null);
            // 'retry_on:' with nothing after it (a list commented out) reads as absent, as any empty key
            // does; '[]' is a list of nothing to retry, which only attempts: 0 says plainly.
            if (retryOn != null && !retryOn.isEmpty()) {
                if (attempts > 0 && retryOn.isSequence()
                        && retryOn.items("a list of " + RETRY_ON_EXPECTED).orElseThrow().isEmpty()) {
                    retryOn.error("an empty list retries nothing (expected: conditions such as [connect-failure,"
                            + " reset, 503]; to turn retries off, set attempts: 0)");
                }
                retryOn(retryOn, conditions, statuses);
            } else {
                conditions.addAll(d.retryOn());
                statuses.addAll(d.retryStatuses());
            }
            long perTry = duration(section, "per_try_timeout", 0, 0);
            if (perTry > 0 && perTry >= responseTimeoutMillis) {
                section.get("per_try_timeout").orElseThrow().warn("not shorter than response_timeout ("
                        + responseTimeoutMillis + "ms), which ends the request first: a try that times out is"
                        + " never retried");
            } else if (perTry == 0 && conditions.contains(RetryPolicy.Condition.TIMEOUT)) {
                section.get("retry_on").orElseThrow().warn("'timeout' is retried only with a per_try_timeout shorter"
                        + " than response_timeout; without one a try that times out has used up the request's time");
            }
            double budget = section.get("budget_percent").flatMap(ResilienceReader::percentNumber)
                    .orElse(d.budgetPercent());
            Backoff backoff = section.get("backoff").flatMap(ResilienceReader::backoff).orElse(d.backoff());
            return new RetryConfig(attempts, conditions, statuses, Duration.ofMillis(perTry), budget, backoff);
        });
    }

    private static void retryOn(Value value, Set<RetryPolicy.Condition> conditions, Set<Integer> statuses) {
        for (Value item : value.items("a list of " + RETRY_ON_EXPECTED).orElse(List.of())) {
            item.word(RETRY_ON_EXPECTED).ifPresent(word -> {
                RetryPolicy.Condition condition = RetryPolicy.Condition.fromConfigName(word);
                if (condition != null) {
                    conditions.add(condition);
                } else if (WholeNumbers.isAsciiDigits(word)) { // ٥٠٣ is an unknown condition, not 503
                    long status = WholeNumbers.parse(word); // -1 past a long: out of range as well
                    if (status < 400 || status > 599) {
                        item.error("status " + word + " out of range (expected: 400..599, such as 502, 503, 504)");
                    } else {
                        statuses.add((int) status);
                    }
                } else {
                    item.error("unknown retry condition '" + word + "'" + Suggestions.hint(word, CONDITIONS)
                            + " (expected: " + RETRY_ON_EXPECTED + ")");
                }
            });
        }
    }

    private static Optional<Backoff> backoff(Value value) {
        return value.section(BACKOFF_KEYS).flatMap(section -> {
            Backoff d = RetryConfig.DEFAULT_BACKOFF;
            long base = duration(section, "base", d.base().toMillis(), 0);
            long max = duration(section, "max", Math.max(base, d.max().toMillis()), 0);
            if (max < base) {
                section.get("max").orElseThrow().error(max + "ms is less than base (" + base
                        + "ms) (expected: at least base)");
                return Optional.empty();
            }
            return Optional.of(Backoff.exponential(Duration.ofMillis(base), Duration.ofMillis(max)));
        });
    }

    // ---- circuit_breaker ----

    private static Optional<CircuitBreakerConfig> circuitBreaker(Value value) {
        return value.section(BREAKER_KEYS).map(section -> {
            int d = CircuitBreaker.DEFAULT_LIMIT;
            return new CircuitBreakerConfig(
                    section.integer("max_connections", d, 1, MAX_LIMIT),
                    section.integer("max_pending_requests", d, 1, MAX_LIMIT),
                    section.integer("max_requests", d, 1, MAX_LIMIT));
        });
    }

    /**
     * A duration of at most a day: longer makes no sense for these keys, and would overflow the
     * nanosecond arithmetic of the timers.
     */
    private static long duration(Section section, String key, long defaultMillis, long minMillis) {
        return section.get(key).flatMap(value -> value.duration(minMillis).filter(millis -> {
            if (millis > MAX_DURATION_MILLIS) {
                value.error("'" + value.text(Durations.EXPECTED).orElse("").strip()
                        + "' is too long (expected: at most 24h)");
                return false;
            }
            return true;
        })).orElse(defaultMillis);
    }

    // ---- percentages ----

    /** A percentage with its sign ({@code 10%}) as a fraction, at most {@code max}. */
    private static Optional<Double> fraction(Value value, double max, String range) {
        return value.parsed(Percentages.EXPECTED, text -> Percentages.parseFraction(text, max, range));
    }

    /** A {@code *_percent} key: the number of percent, with or without the sign ({@code 20}, {@code 20%}), 0..100. */
    private static Optional<Double> percentNumber(Value value) {
        return value.parsed(Percentages.NUMBER_EXPECTED, Percentages::parsePercentNumber);
    }

    private static Optional<Integer> wholePercent(Value value) {
        return value.parsed(Percentages.NUMBER_EXPECTED, Percentages::parseWholePercent);
    }
}
