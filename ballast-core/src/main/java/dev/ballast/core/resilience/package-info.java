/**
 * Call-wrapping resilience primitives shared by the proxy and the client: {@link
 * dev.ballast.core.resilience.RetryPolicy} (what may be retried), {@link
 * dev.ballast.core.resilience.RetryBudget} (how many retries may be in flight), {@link
 * dev.ballast.core.resilience.Backoff} (how long to wait), {@link dev.ballast.core.resilience.Deadline}
 * (how long a call may take over all its tries) and {@link dev.ballast.core.resilience.CircuitBreaker}
 * (how much may be outstanding at once).
 *
 * <p>Everything here is transport-independent: the caller tells what happened (a status, a connect
 * failure, whether the body went out) and gets a value back. The per-request methods are lock-free and
 * allocation-free; none of them throws for an expected outcome.
 */
package dev.ballast.core.resilience;
