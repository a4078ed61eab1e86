package dev.ballast.client.interceptor;

import dev.ballast.client.CallException;
import dev.ballast.client.ClientRequest;
import dev.ballast.client.ClientResponse;
import dev.ballast.core.resilience.RetryBudget;
import dev.ballast.core.time.Ticker;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Hedged requests ("The Tail at Scale", Dean and Barroso, CACM 2013): if the first attempt has not
 * answered after a delay, send the same request to another endpoint; the first good response wins
 * and the other attempts are cancelled. An attempt that fails early starts the next one at once.
 * Only idempotent requests are hedged; others pass through.
 *
 * <p>Each attempt runs on its own virtual thread while the calling thread waits for the first
 * good outcome; the balancer steers a hedge away from the endpoint of the attempt before it.
 *
 * <p>Every hedge takes a token of a {@link RetryBudget}, as a retry does, so hedging cannot multiply
 * the load of a service that is slow for everyone: a hedge the budget refuses is not sent, and the
 * attempts already running go on. (Finagle bounds its backup requests the same way.)
 */
final class HedgingInterceptor implements Interceptor {

    private final int maxAttempts;
    private final LongSupplier delayNanos;
    private final RetryBudget budget;
    /** Whether this interceptor tells the budget of each call; false when a retry interceptor before it does. */
    private final boolean countsCalls;

    HedgingInterceptor(int maxAttempts, LongSupplier delayNanos, RetryBudget budget, boolean countsCalls) {
        if (maxAttempts < 2 || maxAttempts > 10) {
            throw new IllegalArgumentException("hedging max attempts: " + maxAttempts + " (expected: 2..10, as a service's)");
        }
        this.maxAttempts = maxAttempts;
        this.delayNanos = delayNanos;
        this.budget = budget;
        this.countsCalls = countsCalls;
    }

    @Override
    public String name() {
        return "hedging";
    }

    @Override
    public ClientResponse intercept(Chain chain) {
        if (!countsCalls) {
            return hedge(chain);
        }
        budget.requestStarted();
        try {
            return hedge(chain);
        } finally {
            budget.requestFinished();
        }
    }

    private ClientResponse hedge(Chain chain) {
        ClientRequest request = chain.request();
        if (!request.isIdempotent() || request.endpoint().isPresent()) {
            return chain.proceed(request); // a hedge of a pinned request would go to the same slow endpoint
        }
        Ticker ticker = chain.context().ticker();
        long delay = Math.max(0, delayNanos.getAsLong());
        LinkedBlockingQueue<Outcome> outcomes = new LinkedBlockingQueue<>();
        List<Chain> attempts = new ArrayList<>(maxAttempts);
        start(chain, request, attempts, outcomes, false);
        long nextHedgeAt = ticker.nanos() + delay;
        Outcome fallback = null;
        int finished = 0;
        try {
            while (finished < attempts.size()) {
                Outcome outcome;
                if (attempts.size() < maxAttempts && canStart(chain)) {
                    outcome = outcomes.poll(Math.max(0, nextHedgeAt - ticker.nanos()), TimeUnit.NANOSECONDS);
                    if (outcome == null) {
                        if (!budget.tryAcquireRetry()) {
                            outcome = outcomes.take(); // no hedge: wait for what runs, as without hedging
                        } else {
                            start(chain, request, attempts, outcomes, true);
                            nextHedgeAt = ticker.nanos() + delay;
                            continue;
                        }
                    }
                } else {
                    outcome = outcomes.take();
                }
                finished++;
                if (outcome.isGood()) {
                    return outcome.response;
                }
                if (outcome.isFinal()) {
                    return outcome.responseOrThrow(); // the others stop in the finally below
                }
                fallback = Outcome.preferred(fallback, outcome);
                if (attempts.size() < maxAttempts && canStart(chain) && budget.tryAcquireRetry()) {
                    start(chain, request, attempts, outcomes, true); // failed early: hedge now rather than later
                    nextHedgeAt = ticker.nanos() + delay;
                }
            }
            return fallback.responseOrThrow();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CallException(CallException.Kind.CANCELLED, request.service(), null, chain.trace(),
                    request.service() + ": interrupted while hedging", e);
        } finally {
            for (Chain attempt : attempts) {
                attempt.context().close(); // the losers stop (the winner's is already over); never throws
            }
        }
    }

    private static boolean canStart(Chain chain) {
        return !chain.context().isCancelled() && !chain.context().isExpired();
    }

    /** Starts an attempt on a thread of its own; {@code hedge}: it holds a budget token, given back when it ends. */
    private void start(Chain chain, ClientRequest request, List<Chain> attempts, LinkedBlockingQueue<Outcome> outcomes,
            boolean hedge) {
        Chain attempt = chain.newAttempt();
        try {
            Thread.ofVirtual().name("ballast-hedge").start(() -> {
                try {
                    outcomes.add(Outcome.of(attempt, request));
                } finally {
                    if (hedge) {
                        budget.releaseRetry();
                    }
                }
            });
        } catch (RuntimeException | Error e) { // no thread: no outcome will come, and the token is ours to give back
            if (hedge) {
                budget.releaseRetry();
            }
            throw e;
        }
        attempts.add(attempt);
    }

    /** How one attempt ended: a response, or the failure that stood for one. */
    private record Outcome(ClientResponse response, RuntimeException failure) {

        static Outcome of(Chain attempt, ClientRequest request) {
            try {
                return new Outcome(attempt.proceed(request), null);
            } catch (RuntimeException e) {
                return new Outcome(null, e);
            } catch (Throwable e) {
                // An Error, or a checked exception an interceptor threw undeclared (Kotlin, Lombok's
                // @SneakyThrows): the hedge must still end, or the call waits for it forever.
                return new Outcome(null, new IllegalStateException("hedged attempt failed: " + e, e));
            }
        }

        boolean isGood() {
            return response != null && !response.isServerError();
        }

        /** A failure another attempt would most likely meet too: a body over {@code maxResponseBytes}. */
        boolean isFinal() {
            return failure instanceof CallException call && call.kind() == CallException.Kind.RESPONSE_TOO_LARGE;
        }

        /**
         * What to report if nothing succeeds: a response beats a failure; of two failures, the one that
         * says most (see {@link #weight}), the other kept as suppressed.
         */
        static Outcome preferred(Outcome current, Outcome candidate) {
            if (current == null) {
                return candidate;
            }
            if (current.response != null) {
                return current;
            }
            if (candidate.response != null) {
                return candidate;
            }
            Outcome kept = weight(candidate.failure) > weight(current.failure) ? candidate : current;
            Outcome dropped = kept == current ? candidate : current;
            if (dropped.failure != kept.failure) {
                kept.failure.addSuppressed(dropped.failure);
            }
            return kept;
        }

        /**
         * A failure met at an endpoint says most (its kind decides whether the call is retried); then a
         * refusal before anything was sent (a hedge the circuit breaker turned away); a cancellation least.
         */
        private static int weight(RuntimeException failure) {
            if (!(failure instanceof CallException call)) {
                return 2;
            }
            return call.kind() == CallException.Kind.CANCELLED ? 0 : call.endpoint() == null ? 1 : 2;
        }

        ClientResponse responseOrThrow() {
            if (response != null) {
                return response;
            }
            throw failure;
        }
    }
}
