package dev.ballast.client.interceptor;

import dev.ballast.client.CallContext;
import dev.ballast.client.CallException;
import dev.ballast.client.ClientRequest;
import dev.ballast.client.ClientResponse;
import dev.ballast.core.pick.Rng;
import dev.ballast.core.resilience.RetryBudget;
import dev.ballast.core.resilience.RetryPolicy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Retries with the core's rules: {@link RetryPolicy} decides whether a failed try may be repeated
 * (retry_on, idempotency, attempts), the {@link RetryBudget} caps retries in flight as a share of
 * the traffic, and the policy's {@code Backoff} (full jitter) spaces them. Each retry is a
 * {@link Chain#newAttempt() new attempt}, so the balancer steers it away from the endpoint that
 * just failed. The call's deadline covers every try: no backoff is waited that would outlive it (a
 * failure that would have been retried then fails the call as {@code DEADLINE_EXCEEDED} at once),
 * and cancellation ends a backoff at once. A retry turned away before it was sent (circuit breaker,
 * no endpoint, deadline) leaves the call with what the try before it met.
 *
 * <p>{@code java.net.http} does not say whether a request body was written before a failure, so
 * every failure after connecting counts as "sent": a non-idempotent request is retried only after a
 * connect failure.
 */
final class RetryInterceptor implements Interceptor {

    private final RetryPolicy policy;
    private final RetryBudget budget;
    private final Rng rng;

    RetryInterceptor(RetryPolicy policy, RetryBudget budget, Rng rng) {
        this.policy = policy;
        this.budget = budget;
        this.rng = rng;
    }

    @Override
    public String name() {
        return "retry";
    }

    @Override
    public ClientResponse intercept(Chain chain) {
        ClientRequest request = chain.request();
        budget.requestStarted();
        try {
            Chain attempt = chain;
            ClientResponse response = null;
            CallException failure = null;
            for (int tries = 1; ; tries++) {
                ClientResponse answer = null;
                CallException error = null;
                try {
                    answer = attempt.proceed(request);
                } catch (CallException e) {
                    error = e;
                } finally {
                    if (tries > 1) {
                        budget.releaseRetry();
                    }
                }
                if (error != null && tries > 1 && turnedAway(error)) {
                    // The retry never reached an endpoint (the circuit breaker, an endpoint just ejected,
                    // the deadline): it says nothing of the service, so the call ends with what the try
                    // before it met there, as if it had not been retried (its body was read whole, so it is
                    // still there to return). The refusal goes along.
                    if (failure != null) {
                        failure.addSuppressed(error);
                    }
                    return notRetried(chain, request, tries - 1, response, failure);
                }
                response = answer;
                failure = error;
                RetryPolicy.Decision decision = response != null
                        ? policy.onStatus(response.status(), request.method(), true, tries)
                        : policy.onFailure(condition(failure.kind()), request.method(), true, tries);
                if (!decision.retry()) {
                    return respond(response, failure);
                }
                long backoffNanos = policy.backoff().delayNanos(tries - 1, rng);
                Verdict verdict = mayRetry(chain.context(), backoffNanos);
                if (verdict == Verdict.BACKOFF_OUTLASTS_DEADLINE && failure != null
                        && !Thread.currentThread().isInterrupted()) {
                    // The retry could not even begin in time: the deadline, not the last try, is why the
                    // call fails, as when the deadline passes during a backoff; said in the proxy's words.
                    long leftNanos = chain.context().remainingNanos();
                    throw new CallException(CallException.Kind.DEADLINE_EXCEEDED, failure.service(),
                            failure.endpoint(), failure.trace(), failure.service() + ": not retried after " + tries
                            + (tries == 1 ? " attempt" : " attempts") + ": its backoff ("
                            + TimeUnit.NANOSECONDS.toMillis(backoffNanos) + "ms) would outlast the deadline ("
                            + TimeUnit.NANOSECONDS.toMillis(leftNanos) + "ms left); last: " + failure.getMessage(),
                            failure);
                }
                if (verdict == Verdict.BUDGET_EXHAUSTED && failure != null && !chain.context().isCancelled()
                        && !Thread.currentThread().isInterrupted() && !chain.context().isExpired()) {
                    // Retryable and in time, but refused: say so, or the budget's refusals look like bad luck.
                    throw new CallException(failure.kind(), failure.service(), failure.endpoint(), failure.trace(),
                            failure.getMessage() + "; not retried: retry budget (" + percent(budget.budgetPercent())
                                    + "% of calls in flight) exhausted", failure);
                }
                if (verdict != Verdict.RETRY) {
                    return notRetried(chain, request, tries, response, failure);
                }
                attempt = chain.newAttempt();
            }
        } finally {
            budget.requestFinished();
        }
    }

    /**
     * A try was not repeated although the policy would have: the call ends with what the last of
     * {@code tries} tries met, unless the caller cancelled it or its time ran out meanwhile.
     */
    private static ClientResponse notRetried(Chain chain, ClientRequest request, int tries, ClientResponse response,
            CallException failure) {
        if (chain.context().isCancelled() || Thread.currentThread().isInterrupted()) {
            // Cancelled while it would have tried again: that, not the last try, ends the call.
            String last = failure != null ? failure.getMessage() : "status " + response.status();
            throw new CallException(CallException.Kind.CANCELLED, request.service(),
                    failure != null ? failure.endpoint() : response.endpoint(), chain.trace(),
                    request.service() + ": cancelled before attempt " + (tries + 1) + "; last: " + last, failure);
        }
        if (failure != null && chain.context().isExpired()) {
            // Retryable, but the call's time is up: that, not the last try, is why it failed.
            throw new CallException(CallException.Kind.DEADLINE_EXCEEDED, failure.service(), failure.endpoint(),
                    failure.trace(), failure.service() + ": deadline passed after " + tries + " attempts; last: "
                    + failure.getMessage(), failure);
        }
        return respond(response, failure);
    }

    /**
     * A try refused before it was sent: by the circuit breaker, for want of an endpoint, or because
     * the call was out of time or cancelled (an attempt that reached an endpoint names it). As in
     * hedging, such a refusal says less than what an earlier try met at an endpoint.
     */
    private static boolean turnedAway(CallException failure) {
        return failure.endpoint() == null || failure.kind() == CallException.Kind.NO_ENDPOINT
                || failure.kind() == CallException.Kind.REJECTED;
    }

    /** 20 rather than 20.0, 2.5 as it is. */
    private static String percent(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }

    /** Whether a retry goes ahead, and if not, whether the budget or a backoff too long for the deadline was why. */
    private enum Verdict { RETRY, STOP, BUDGET_EXHAUSTED, BACKOFF_OUTLASTS_DEADLINE }

    /** Takes a budget token and waits the backoff; no token is held unless the verdict is RETRY. */
    private Verdict mayRetry(CallContext context, long delay) {
        if (context.isCancelled() || context.isExpired()) {
            return Verdict.STOP;
        }
        if (context.remainingNanos() <= delay) {
            return Verdict.BACKOFF_OUTLASTS_DEADLINE;
        }
        if (!budget.tryAcquireRetry()) {
            return Verdict.BUDGET_EXHAUSTED;
        }
        if (delay > 0 && !sleep(context, delay)) {
            budget.releaseRetry();
            return Verdict.STOP;
        }
        return Verdict.RETRY;
    }

    /** Waits {@code nanos} unless the context is cancelled first; false if it was (or the thread was interrupted). */
    private static boolean sleep(CallContext context, long nanos) {
        CountDownLatch cancelled = new CountDownLatch(1);
        CallContext.Registration registration = context.onCancel(cancelled::countDown);
        try {
            return !cancelled.await(nanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            registration.close();
        }
    }

    private static ClientResponse respond(ClientResponse response, CallException failure) {
        if (response != null) {
            return response;
        }
        throw failure;
    }

    private static RetryPolicy.Condition condition(CallException.Kind kind) {
        return switch (kind) {
            case CONNECT_FAILURE -> RetryPolicy.Condition.CONNECT_FAILURE;
            case RESET -> RetryPolicy.Condition.RESET;
            case TIMEOUT -> RetryPolicy.Condition.TIMEOUT;
            default -> null; // deadline, cancellation, no endpoint, rejection: trying again cannot help
        };
    }
}
