package dev.ballast.proxy.config;

import dev.ballast.core.outlier.OutlierDetection;

import java.time.Duration;
import java.util.Objects;

/**
 * How one upstream copes with failing endpoints: the keys of issue 4, grouped.
 *
 * @param healthCheck      {@code health_check}: active checks, or null when there are none (the default)
 * @param outlierDetection {@code outlier_detection}: ejection from live traffic; on by default with
 *                         5 failures in a row, 30 s doubling, at most 50% ejected
 *                         ({@code max_ejection_percent: 0} never ejects)
 * @param retries          {@code retries}
 * @param circuitBreaker   {@code circuit_breaker}
 * @param slowStart        {@code slow_start}: ramp-up of an endpoint that joins or recovers; zero = off
 * @param panicThreshold   {@code panic_threshold} as a fraction 0..1 (default 0.5): below this share of
 *                         eligible endpoints, traffic spreads over all of them; 0 = never
 */
public record ResilienceConfig(
        HealthCheckConfig healthCheck,
        OutlierDetection outlierDetection,
        RetryConfig retries,
        CircuitBreakerConfig circuitBreaker,
        Duration slowStart,
        double panicThreshold) {

    public static final int DEFAULT_CONSECUTIVE_FAILURES = OutlierDetection.DEFAULT_CONSECUTIVE_FAILURES;
    public static final Duration DEFAULT_BASE_EJECTION_TIME = OutlierDetection.DEFAULT_BASE_EJECTION_TIME;
    /**
     * Not Envoy's 10%: Ballast upstreams are often two to four endpoints, where 10% means one. Half
     * matches the default panic threshold, so ejection alone never tips an upstream into panic mode.
     */
    public static final int DEFAULT_MAX_EJECTION_PERCENT = 50;
    public static final double DEFAULT_PANIC_THRESHOLD = 0.5;

    public ResilienceConfig {
        Objects.requireNonNull(outlierDetection, "outlierDetection");
        Objects.requireNonNull(retries, "retries");
        Objects.requireNonNull(circuitBreaker, "circuitBreaker");
        Objects.requireNonNull(slowStart, "slowStart");
        if (!(panicThreshold >= 0 && panicThreshold <= 1)) {
            throw new IllegalArgumentException("panic_threshold: " + panicThreshold + " (expected: 0..1)");
        }
    }

    /** What an upstream without any of these keys gets. */
    public static ResilienceConfig defaults() {
        return new ResilienceConfig(null, defaultOutlierDetection(), RetryConfig.defaults(),
                CircuitBreakerConfig.defaults(), Duration.ZERO, DEFAULT_PANIC_THRESHOLD);
    }

    public static OutlierDetection defaultOutlierDetection() {
        return OutlierDetection.of(DEFAULT_CONSECUTIVE_FAILURES, DEFAULT_BASE_EJECTION_TIME,
                DEFAULT_MAX_EJECTION_PERCENT);
    }

    public ResilienceConfig withHealthCheck(HealthCheckConfig check) {
        return new ResilienceConfig(check, outlierDetection, retries, circuitBreaker, slowStart, panicThreshold);
    }

    public ResilienceConfig withOutlierDetection(OutlierDetection detection) {
        return new ResilienceConfig(healthCheck, detection, retries, circuitBreaker, slowStart, panicThreshold);
    }

    public ResilienceConfig withRetries(RetryConfig newRetries) {
        return new ResilienceConfig(healthCheck, outlierDetection, newRetries, circuitBreaker, slowStart,
                panicThreshold);
    }

    public ResilienceConfig withCircuitBreaker(CircuitBreakerConfig breaker) {
        return new ResilienceConfig(healthCheck, outlierDetection, retries, breaker, slowStart, panicThreshold);
    }

    public ResilienceConfig withSlowStart(Duration window) {
        return new ResilienceConfig(healthCheck, outlierDetection, retries, circuitBreaker, window, panicThreshold);
    }

    public ResilienceConfig withPanicThreshold(double threshold) {
        return new ResilienceConfig(healthCheck, outlierDetection, retries, circuitBreaker, slowStart, threshold);
    }
}
