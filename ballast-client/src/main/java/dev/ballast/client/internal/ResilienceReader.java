package dev.ballast.client.internal;

import dev.ballast.core.config.Durations;
import dev.ballast.core.config.HealthCheckPaths;
import dev.ballast.core.config.Parsing;
import dev.ballast.core.config.Percentages;
import dev.ballast.core.config.StatusCodes;
import dev.ballast.core.config.Suggestions;
import dev.ballast.core.config.WholeNumbers;
import dev.ballast.client.ServiceConfig;
import dev.ballast.core.health.HealthCheckSettings;
import dev.ballast.core.outlier.OutlierDetection;
import dev.ballast.core.resilience.Backoff;
import dev.ballast.core.resilience.CircuitBreaker;
import dev.ballast.core.resilience.RetryBudget;
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
 * Reads an upstream's resilience keys ({@code health_check}, {@code outlier_detection}, {@code
 * retries}, {@code circuit_breaker}, {@code slow_start}, {@code panic_threshold}) by the proxy's
 * {@code ResilienceReader} rules onto a {@link ServiceConfig.Builder}. Absent keys take the
 * <em>proxy's</em> defaults, which differ from the builder's in two places: outlier detection is on
 * (5 failures in a row, 30 s, at most 50% ejected) and there is one retry of connect failures and
 * resets (backoff 25 ms up to 250 ms).
 *
 * <p>The proxy's two {@code per_try_timeout} warnings are not repeated: they describe the proxy, whose
 * {@code response_timeout} bounds the whole request; in the client it bounds each attempt, so a try
 * that times out can be retried either way.
 */
final class ResilienceReader {

    static final List<String> KEYS = List.of("health_check", "outlier_detection", "retries", "circuit_breaker",
            "slow_start", "panic_threshold");

    // The proxy's defaults (its ResilienceConfig and RetryConfig), not the core's or the builder's.
    static final int DEFAULT_CONSECUTIVE_FAILURES = OutlierDetection.DEFAULT_CONSECUTIVE_FAILURES;
    static final Duration DEFAULT_BASE_EJECTION_TIME = OutlierDetection.DEFAULT_BASE_EJECTION_TIME;
    static final int DEFAULT_MAX_EJECTION_PERCENT = 50;
    static final double DEFAULT_PANIC_THRESHOLD = 0.5;
    static final int DEFAULT_RETRY_ATTEMPTS = 1;
    static final Set<RetryPolicy.Condition> DEFAULT_RETRY_ON =
            EnumSet.of(RetryPolicy.Condition.CONNECT_FAILURE, RetryPolicy.Condition.RESET);
    static final Backoff DEFAULT_BACKOFF = Backoff.exponential(Duration.ofMillis(25), Duration.ofMillis(250));

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

    /**
     * Reads the resilience keys of the upstream {@code section} onto {@code builder}.
     *
     * @return the {@code slow_start} read, zero when it is absent or invalid, which the upstream checks
     *         against its balancer
     */
    static Duration read(Section section, ServiceConfig.Builder builder) {
        builder.healthCheck(section.get("health_check").flatMap(ResilienceReader::healthCheck).orElse(null));
        builder.outlierDetection(section.get("outlier_detection").flatMap(ResilienceReader::outlierDetection)
                .orElse(OutlierDetection.of(DEFAULT_CONSECUTIVE_FAILURES, DEFAULT_BASE_EJECTION_TIME,
                        DEFAULT_MAX_EJECTION_PERCENT)));
        Optional<Section> retries = section.get("retries").flatMap(value -> value.section(RETRY_KEYS));
        builder.retries(retries.map(ResilienceReader::retryPolicy).orElseGet(ResilienceReader::defaultRetryPolicy));
        builder.retryBudgetPercent(retries.flatMap(r -> r.get("budget_percent"))
                .flatMap(ResilienceReader::percentNumber).orElse(RetryBudget.DEFAULT_BUDGET_PERCENT));
        section.get("circuit_breaker").flatMap(value -> value.section(BREAKER_KEYS)).ifPresent(breaker -> {
            int d = CircuitBreaker.DEFAULT_LIMIT;
            // max_connections and max_pending_requests: HttpClient owns its connections and its queue.
            breaker.integer("max_connections", d, 1, MAX_LIMIT);
            breaker.integer("max_pending_requests", d, 1, MAX_LIMIT);
            builder.maxRequests(breaker.integer("max_requests", d, 1, MAX_LIMIT));
        });
        Duration slowStart = Duration.ofMillis(duration(section, "slow_start", 0, 0));
        builder.slowStart(slowStart);
        builder.panicThreshold(section.get("panic_threshold")
                .flatMap(value -> fraction(value, 1.0, "0% up to 100%")).orElse(DEFAULT_PANIC_THRESHOLD));
        return slowStart;
    }

    // ---- health_check ----

    private static Optional<ServiceConfig.HealthCheck> healthCheck(Value value) {
        return value.section(HEALTH_CHECK_KEYS).flatMap(section -> {
            HealthCheckSettings d = HealthCheckSettings.defaults();
            Optional<String> path = section.get("path").flatMap(ResilienceReader::checkPath);
            ServiceConfig.HealthCheck.Type type = section.get("type").flatMap(ResilienceReader::checkType)
                    .orElse(ServiceConfig.HealthCheck.Type.HTTP);
            boolean typeGiven = section.has("type");
            boolean tcp = type == ServiceConfig.HealthCheck.Type.TCP;
            if (tcp && section.has("path")) {
                section.get("path").orElseThrow()
                        .error("a tcp check sends no request (expected: type http, or no path)");
            }
            if (tcp && section.has("expected_status")) {
                section.get("expected_status").orElseThrow()
                        .error("a tcp check gets no status (expected: type http, or no expected_status)");
            }
            // Not after a misspelt path or type ("paht", "typ: tcp"): that was reported, and says what is meant.
            if (!tcp && !section.has("path") && !section.misspelt("path") && !section.misspelt("type")) {
                section.error("missing 'path' (expected: the path an HTTP check asks for, like /healthz"
                        + (typeGiven ? ")" : "; or type: tcp to check that a connection opens)"));
            }
            Optional<int[]> expected = section.get("expected_status").flatMap(ResilienceReader::statusRange);
            long interval = duration(section, "interval", d.interval().toMillis(), 1);
            long timeout = duration(section, "timeout", d.timeout().toMillis(), 1);
            int unhealthy = section.integer("unhealthy_threshold", d.unhealthyThreshold(), 1, MAX_THRESHOLD);
            int healthy = section.integer("healthy_threshold", d.healthyThreshold(), 1, MAX_THRESHOLD);
            long initialDelay = duration(section, "initial_delay", d.initialDelay().toMillis(), 0);
            double jitter = section.get("jitter").flatMap(v -> fraction(v, 0.99, "0% up to 99%")).orElse(d.jitter());
            HealthCheckSettings settings = new HealthCheckSettings(Duration.ofMillis(interval),
                    Duration.ofMillis(timeout), unhealthy, healthy, Duration.ofMillis(initialDelay), jitter);
            if (tcp) {
                return Optional.of(ServiceConfig.HealthCheck.tcp(settings));
            }
            return path.map(p -> {
                ServiceConfig.HealthCheck check = ServiceConfig.HealthCheck.http(p, settings);
                return expected.map(range -> check.withExpectedStatus(range[0], range[1])).orElse(check);
            });
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

    private static Optional<ServiceConfig.HealthCheck.Type> checkType(Value value) {
        return value.word("http or tcp").flatMap(text -> {
            if (CHECK_TYPES.contains(text)) {
                return Optional.of(text.equals("tcp") ? ServiceConfig.HealthCheck.Type.TCP
                        : ServiceConfig.HealthCheck.Type.HTTP);
            }
            value.error("unknown check type '" + text + "'" + Suggestions.hint(text, CHECK_TYPES)
                    + " (expected: http or tcp)");
            return Optional.empty();
        });
    }

    /**
     * {@code expected_status} as {@code [from, to]}. The proxy takes any set of codes; the client's
     * check takes one range, so a set with gaps ({@code 200-299, 304}) is refused, not widened.
     */
    private static Optional<int[]> statusRange(Value value) {
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
        return parts.flatMap(texts -> Parsing.attempt(texts, StatusCodes::parse, value::error).flatMap(codes -> {
            int from = codes.lowest();
            int to = codes.highest();
            if (!codes.isOneRange()) {
                value.error("'" + String.join(", ", texts) + "' has gaps, which the client's health check"
                        + " cannot express (expected: one range such as " + from + "-" + to + ")");
                return Optional.empty();
            }
            return Optional.of(new int[] {from, to});
        }));
    }

    // ---- outlier_detection ----

    private static Optional<OutlierDetection> outlierDetection(Value value) {
        return value.section(OUTLIER_KEYS).map(section -> {
            int failures = section.integer("consecutive_failures", DEFAULT_CONSECUTIVE_FAILURES, 1, MAX_THRESHOLD);
            long base = duration(section, "base_ejection_time", DEFAULT_BASE_EJECTION_TIME.toMillis(), 1);
            int percent = section.get("max_ejection_percent").flatMap(ResilienceReader::wholePercent)
                    .orElse(DEFAULT_MAX_EJECTION_PERCENT);
            return OutlierDetection.of(failures, Duration.ofMillis(base), percent);
        });
    }

    // ---- retries ----

    private static RetryPolicy defaultRetryPolicy() {
        return RetryPolicy.builder().attempts(DEFAULT_RETRY_ATTEMPTS).retryOn(DEFAULT_RETRY_ON)
                .retryStatuses(Set.of()).backoff(DEFAULT_BACKOFF).build();
    }

    private static RetryPolicy retryPolicy(Section section) {
        int attempts = section.integer("attempts", DEFAULT_RETRY_ATTEMPTS, 0, 10);
        Set<RetryPolicy.Condition> conditions = EnumSet.noneOf(RetryPolicy.Condition.class);
        Set<Integer> statuses = new TreeSet<>();
        Value retryOn = section.get("retry_on").orElse(null);
        // As in the proxy: 'retry_on:' with nothing after it reads as absent; '[]' retries nothing.
        if (retryOn != null && !retryOn.isEmpty()) {
            if (attempts > 0 && retryOn.isSequence()
                    && retryOn.items("a list of " + RETRY_ON_EXPECTED).orElseThrow().isEmpty()) {
                retryOn.error("an empty list retries nothing (expected: conditions such as [connect-failure,"
                        + " reset, 503]; to turn retries off, set attempts: 0)");
            }
            retryOn(retryOn, conditions, statuses);
        } else {
            conditions.addAll(DEFAULT_RETRY_ON);
        }
        long perTry = duration(section, "per_try_timeout", 0, 0);
        Backoff backoff = section.get("backoff").flatMap(ResilienceReader::backoff).orElse(DEFAULT_BACKOFF);
        return RetryPolicy.builder().attempts(attempts).retryOn(conditions).retryStatuses(statuses)
                .perTryTimeout(Duration.ofMillis(perTry)).backoff(backoff).build();
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
            long base = duration(section, "base", DEFAULT_BACKOFF.base().toMillis(), 0);
            long max = duration(section, "max", Math.max(base, DEFAULT_BACKOFF.max().toMillis()), 0);
            if (max < base) {
                section.get("max").orElseThrow().error(max + "ms is less than base (" + base
                        + "ms) (expected: at least base)");
                return Optional.empty();
            }
            return Optional.of(Backoff.exponential(Duration.ofMillis(base), Duration.ofMillis(max)));
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
