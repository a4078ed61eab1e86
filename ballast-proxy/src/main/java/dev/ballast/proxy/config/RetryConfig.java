package dev.ballast.proxy.config;

import dev.ballast.core.resilience.Backoff;
import dev.ballast.core.resilience.RetryBudget;
import dev.ballast.core.resilience.RetryPolicy;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code upstreams.NAME.retries}. A value (equal configs compare equal), turned into the core's
 * {@link RetryPolicy} and {@link RetryBudget} when the upstream is built.
 *
 * @param attempts      {@code attempts}: extra tries after the first, 0..10 (0 turns retries off)
 * @param retryOn       the words of {@code retry_on}: connect-failure, reset, timeout
 * @param retryStatuses the status codes of {@code retry_on}
 * @param perTryTimeout {@code per_try_timeout}: how long each try waits for its response header; zero
 *                      for none (then only {@code response_timeout} applies)
 * @param budgetPercent {@code budget_percent}: retries in flight stay within this share of the
 *                      requests in progress (at least {@value RetryBudget#DEFAULT_MIN_RETRY_CONCURRENCY})
 * @param backoff       {@code backoff: {base, max}}, with full jitter
 */
public record RetryConfig(
        int attempts,
        Set<RetryPolicy.Condition> retryOn,
        Set<Integer> retryStatuses,
        Duration perTryTimeout,
        double budgetPercent,
        Backoff backoff) {

    public static final int DEFAULT_ATTEMPTS = 1;
    public static final double DEFAULT_BUDGET_PERCENT = RetryBudget.DEFAULT_BUDGET_PERCENT;
    public static final Backoff DEFAULT_BACKOFF = Backoff.exponential(Duration.ofMillis(25), Duration.ofMillis(250));

    public RetryConfig {
        // Sorted copies, so /config lists them in a stable order.
        retryOn = retryOn.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(retryOn));
        retryStatuses = Collections.unmodifiableSet(new TreeSet<>(retryStatuses));
        Objects.requireNonNull(perTryTimeout, "perTryTimeout");
        Objects.requireNonNull(backoff, "backoff");
    }

    /**
     * One retry of connect failures and resets (idempotent requests, or bodies not yet sent), within a
     * 20% budget, after 0-25 ms, then up to 250 ms.
     */
    public static RetryConfig defaults() {
        return new RetryConfig(DEFAULT_ATTEMPTS,
                EnumSet.of(RetryPolicy.Condition.CONNECT_FAILURE, RetryPolicy.Condition.RESET), Set.of(),
                Duration.ZERO, DEFAULT_BUDGET_PERCENT, DEFAULT_BACKOFF);
    }

    /** The policy these settings describe. */
    public RetryPolicy policy() {
        return RetryPolicy.builder()
                .attempts(attempts)
                .retryOn(retryOn)
                .retryStatuses(retryStatuses)
                .perTryTimeout(perTryTimeout)
                .backoff(backoff)
                .build();
    }

    /** A new budget (one per upstream: it counts requests in progress). */
    public RetryBudget newBudget() {
        return RetryBudget.of(budgetPercent, RetryBudget.DEFAULT_MIN_RETRY_CONCURRENCY);
    }
}
