package dev.ballast.core.resilience;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Caps retries as a share of the traffic, so that when every endpoint fails, retries cannot multiply
 * the load (a retry storm) while a few failures under normal load are still retried.
 *
 * <p>The rule is Envoy's {@code retry_budget}: retries in flight may not exceed {@code budgetPercent}
 * of the requests in progress, but at least {@code minRetryConcurrency} retries may always be in
 * flight, so an upstream with little traffic can still retry. (Finagle's budget reaches the same goal
 * with a token bucket over a time window; counting what is in flight needs no clock.)
 *
 * <p>Usage, per logical request (not per try): {@link #requestStarted()} when it begins and {@link
 * #requestFinished()} when it ends, whatever the outcome; around each retry, {@link #tryAcquireRetry()}
 * and, if that returned true, {@link #releaseRetry()} when the retry ends.
 *
 * <p>Thread-safety: every method is lock-free and allocation-free. Requests in progress are summed
 * with a {@link LongAdder} (written per request, read only per retry); retry tokens are a CAS-bounded
 * counter, so the number of tokens out never exceeds the limit computed at the moment of acquisition.
 */
public final class RetryBudget {

    /** Envoy's defaults. */
    public static final double DEFAULT_BUDGET_PERCENT = 20.0;
    public static final int DEFAULT_MIN_RETRY_CONCURRENCY = 3;

    private static final RetryBudget UNLIMITED = new RetryBudget(100.0, Integer.MAX_VALUE);

    private final double budgetPercent;
    private final int minRetryConcurrency;
    private final LongAdder active = new LongAdder();
    private final AtomicInteger retries = new AtomicInteger();
    private final LongAdder rejected = new LongAdder();

    private RetryBudget(double budgetPercent, int minRetryConcurrency) {
        this.budgetPercent = budgetPercent;
        this.minRetryConcurrency = minRetryConcurrency;
    }

    /**
     * A budget of {@code budgetPercent} (0..100) of the requests in progress, never below {@code
     * minRetryConcurrency} (>= 0) retries in flight.
     */
    public static RetryBudget of(double budgetPercent, int minRetryConcurrency) {
        if (!(budgetPercent >= 0 && budgetPercent <= 100)) {
            throw new IllegalArgumentException("budget_percent: " + budgetPercent + " (expected: 0..100)");
        }
        if (minRetryConcurrency < 0) {
            throw new IllegalArgumentException(
                    "min_retry_concurrency: " + minRetryConcurrency + " (expected: >= 0)");
        }
        return new RetryBudget(budgetPercent, minRetryConcurrency);
    }

    /** Envoy's defaults: 20% and at least 3. */
    public static RetryBudget defaults() {
        return of(DEFAULT_BUDGET_PERCENT, DEFAULT_MIN_RETRY_CONCURRENCY);
    }

    /**
     * Never refuses: the null object for callers without a budget. Shared; its counters are not
     * meaningful.
     */
    public static RetryBudget unlimited() {
        return UNLIMITED;
    }

    public void requestStarted() {
        active.increment();
    }

    public void requestFinished() {
        active.decrement();
    }

    /**
     * Takes a retry token if the budget allows one more retry in flight now. On true the caller must
     * call {@link #releaseRetry()} exactly once when that retry ends; on false it must not retry.
     */
    public boolean tryAcquireRetry() {
        long limit = limit();
        int current;
        do {
            current = retries.get();
            if (current >= limit) {
                rejected.increment();
                return false;
            }
        } while (!retries.compareAndSet(current, current + 1));
        return true;
    }

    /** Returns a token taken by a successful {@link #tryAcquireRetry()}. */
    public void releaseRetry() {
        int current;
        do {
            current = retries.get();
            if (current == 0) {
                throw new IllegalStateException("retry budget: released more retries than were acquired");
            }
        } while (!retries.compareAndSet(current, current - 1));
    }

    /** The number of retries allowed in flight right now. */
    public long limit() {
        // Multiplied by the percent, then divided: exact for whole percents, where the share as a
        // fraction first is not (0.29 * 100 is 28.999999999999996, one retry too few).
        long byShare = (long) (Math.max(0, active.sum()) * budgetPercent / 100.0);
        return Math.max(minRetryConcurrency, byShare);
    }

    /** Logical requests in progress. */
    public long activeRequests() {
        return active.sum();
    }

    /** Retry tokens currently out. */
    public int activeRetries() {
        return retries.get();
    }

    /** How many retries the budget has refused since it was created (a counter for metrics). */
    public long rejected() {
        return rejected.sum();
    }

    public double budgetPercent() {
        return budgetPercent;
    }

    public int minRetryConcurrency() {
        return minRetryConcurrency;
    }

    @Override
    public String toString() {
        return "RetryBudget[" + budgetPercent + "%, min " + minRetryConcurrency + ", retries "
                + retries.get() + "/" + limit() + "]";
    }
}
