package dev.ballast.client;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * Calls many endpoints or services at once and waits for all of them (Go's {@code sync.WaitGroup}
 * pattern), or for the first {@code k} good responses with a {@linkplain #quorum quorum}. Returns
 * every outcome and an {@link ErrorReport} that groups the failures. Immutable: each setting
 * returns a changed copy, so one instance can be shared.
 *
 * <pre>{@code
 * FanoutResult result = Fanout.of(client).perCallTimeout(Duration.ofMillis(200))
 *         .callEveryEndpoint(request("shards").path("/v1/search?q=x"));
 * log.warn("fan-out failures:\n{}", result.errors());
 * }</pre>
 */
public final class Fanout {

    /**
     * How long past the deadline the fan-out waits for calls to report how they ended (the transport
     * ends them at the deadline) before it fails the ones still out itself.
     */
    private static final long REPORTING_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    private final BallastClient client;
    private final CallContext parent;
    private final Duration perCallTimeout;
    private final Duration overallTimeout;
    private final int quorum;
    private final Predicate<ClientResponse> good;
    private final Clock clock;

    private Fanout(BallastClient client, CallContext parent, Duration perCallTimeout, Duration overallTimeout,
            int quorum, Predicate<ClientResponse> good, Clock clock) {
        this.client = client;
        this.parent = parent;
        this.perCallTimeout = perCallTimeout;
        this.overallTimeout = overallTimeout;
        this.quorum = quorum;
        this.good = good;
        this.clock = clock;
    }

    /** A fan-out over {@code client}: waits for all, no timeouts of its own, 5xx counted as failures. */
    public static Fanout of(BallastClient client) {
        return new Fanout(Objects.requireNonNull(client, "client"), CallContext.background(), null, null, 0,
                response -> !response.isServerError(), Clock.systemUTC());
    }

    /**
     * Bounds each call (a request's own timeout still applies if it is shorter). With no overall
     * timeout, a call still running a moment after its timeout (held up in an interceptor) fails
     * {@code DEADLINE_EXCEEDED} here and is cancelled, as with {@link #overallTimeout}.
     */
    public Fanout perCallTimeout(Duration timeout) {
        return new Fanout(client, parent, positive(timeout, "per-call timeout"), overallTimeout, quorum, good, clock);
    }

    /**
     * Bounds the whole fan-out: calls still running then fail with {@code DEADLINE_EXCEEDED}, as the
     * transport ends them, or, a moment after the deadline, here (a call held up in an interceptor).
     */
    public Fanout overallTimeout(Duration timeout) {
        return new Fanout(client, parent, perCallTimeout, positive(timeout, "overall timeout"), quorum, good, clock);
    }

    /** Returns as soon as {@code k} calls succeed, cancelling the rest; 0 waits for all. */
    public Fanout quorum(int k) {
        if (k < 0) {
            throw new IllegalArgumentException("quorum: " + k + " (expected: >= 0, 0 = all)");
        }
        return new Fanout(client, parent, perCallTimeout, overallTimeout, k, good, clock);
    }

    /** Which responses count as good; by default everything but 5xx. */
    public Fanout succeedWhen(Predicate<ClientResponse> predicate) {
        return new Fanout(client, parent, perCallTimeout, overallTimeout, quorum,
                Objects.requireNonNull(predicate, "predicate"), clock);
    }

    /** The context every call runs under (deadline, trace, cancellation); the requests' own are replaced. */
    public Fanout context(CallContext context) {
        return new Fanout(client, Objects.requireNonNull(context, "context"), perCallTimeout, overallTimeout, quorum,
                good, clock);
    }

    /** The clock that stamps the error report's first and last times. */
    public Fanout clock(Clock reportClock) {
        return new Fanout(client, parent, perCallTimeout, overallTimeout, quorum, good,
                Objects.requireNonNull(reportClock, "clock"));
    }

    /** Sends {@code request} to every endpoint of its service, bypassing the balancer. */
    public FanoutResult callEveryEndpoint(ClientRequest request) {
        List<ClientRequest> requests = new ArrayList<>();
        for (EndpointStatus endpoint : client.endpoints(request.service())) {
            requests.add(request.endpoint(endpoint.address()));
        }
        return call(requests);
    }

    /**
     * Sends every request at once and waits for all of them, or for the quorum. The wait is bounded
     * by the overall timeout or the context's deadline; with neither, by the longest of the calls'
     * timeouts (their own or the per-call one) when every call has one.
     *
     * @throws CallException ({@code CANCELLED}) if the calling thread is interrupted while waiting
     * @throws RuntimeException what {@link #succeedWhen} or the report's {@link #clock} threw, at once;
     *                          the calls still running are cancelled
     */
    public FanoutResult call(List<ClientRequest> requests) {
        int n = requests.size();
        int needed = quorum == 0 ? n : quorum; // a quorum over the number of calls is not reached
        CallContext scope = overallTimeout != null ? parent.withTimeout(overallTimeout) : parent.child();
        ErrorReport.Collector errors = ErrorReport.collector(clock);
        AtomicReferenceArray<FanoutResult.Outcome> outcomes = new AtomicReferenceArray<>(n);
        AtomicInteger successes = new AtomicInteger();
        AtomicInteger finished = new AtomicInteger();
        CompletableFuture<Void> done = new CompletableFuture<>();
        // Taken to record an outcome and to read them all at the end: one that lands as the quorum is
        // reached is either wholly in the result, error report included, or wholly abandoned.
        ReentrantLock recording = new ReentrantLock(); // not a monitor: succeedWhen runs under it, on virtual threads
        if (n == 0) {
            done.complete(null);
        }
        List<ClientRequest> calls = new ArrayList<>(n);
        for (ClientRequest request : requests) {
            calls.add(bounded(request.context(scope)));
        }
        long sent = System.nanoTime();
        try {
            for (int i = 0; i < n && !done.isDone(); i++) {
                int index = i;
                ClientRequest request = calls.get(i);
                client.sendAsync(request).whenComplete((response, error) -> {
                    recording.lock();
                    try {
                        if (done.isDone()) {
                            return; // the quorum was reached, or the fan-out failed: this one was abandoned
                        }
                        FanoutResult.Outcome outcome = outcome(request, response, error, errors);
                        outcomes.set(index, outcome);
                        int good = outcome instanceof FanoutResult.Outcome.Success
                                ? successes.incrementAndGet() : successes.get();
                        if (finished.incrementAndGet() == n || (quorum > 0 && good >= needed)) {
                            done.complete(null);
                        }
                    } catch (Throwable e) {
                        // succeedWhen or the clock threw, a checked exception too when thrown undeclared:
                        // nothing else would end the wait.
                        done.completeExceptionally(e);
                    } finally {
                        recording.unlock();
                    }
                });
            }
            long waitNanos = scope.hasDeadline() ? scope.remainingNanos() : longestCallNanos(calls, sent);
            if (waitNanos >= 0) {
                try {
                    done.get(waitNanos + REPORTING_GRACE_NANOS, TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    overdue(requests, outcomes, errors, recording, done);
                }
            }
            done.get(); // at once when bounded: ended, or failed by what succeedWhen threw while overdue waited

        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CallException(CallException.Kind.CANCELLED, "fanout", null, null,
                    "fan-out of " + n + " calls interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException thrown) {
                throw thrown;
            }
            if (e.getCause() instanceof Error thrown) {
                throw thrown;
            }
            throw new IllegalStateException("fan-out failed", e.getCause());
        } finally {
            scope.close(); // cancels whatever still runs once the quorum is reached
        }
        recording.lock();
        try {
            List<FanoutResult.Outcome> list = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                FanoutResult.Outcome outcome = outcomes.get(i);
                list.add(outcome != null ? outcome : new FanoutResult.Outcome.Abandoned(requests.get(i)));
            }
            // With no call at all nothing was reached: a broadcast to a service that discovery has not filled
            // yet must not read as done.
            return new FanoutResult(list, errors.report(), n > 0 && successes.get() >= needed);
        } finally {
            recording.unlock();
        }
    }

    /**
     * The deadline (the fan-out's, or with none the longest call's) passed and some calls have not
     * ended: an interceptor waiting on something that ignores cancellation, say. They fail {@code DEADLINE_EXCEEDED} here, and the scope closing after
     * this cancels them; whatever they answer later is dropped.
     */
    private void overdue(List<ClientRequest> requests, AtomicReferenceArray<FanoutResult.Outcome> outcomes,
            ErrorReport.Collector errors, ReentrantLock recording, CompletableFuture<Void> done) {
        recording.lock();
        try {
            if (!done.complete(null)) {
                return; // the last call ended, or succeedWhen threw, while this waited for the lock
            }
            for (int i = 0; i < requests.size(); i++) {
                if (outcomes.get(i) == null) {
                    ClientRequest request = requests.get(i);
                    CallException late = new CallException(CallException.Kind.DEADLINE_EXCEEDED, request.service(),
                            null, null, request + " had not ended when its deadline passed", null);
                    errors.add(late);
                    outcomes.set(i, new FanoutResult.Outcome.Failure(request, late.kind().name(), null, late));
                }
            }
        } finally {
            recording.unlock();
        }
    }

    /**
     * How long the calls may run when the scope has no deadline: until the longest of their own
     * timeouts, counted from {@code sent}; -1 (no bound) when one of them has none. A timeout is
     * saturated as {@link CallContext#withTimeout} saturates it, so one of 73 years or more is none
     * there and here alike, and no sum below can overflow.
     */
    private static long longestCallNanos(List<ClientRequest> calls, long sent) {
        long longest = 0;
        for (ClientRequest call : calls) {
            long timeout = call.timeout().map(CallContext::saturatedNanos).orElse(CallContext.NO_TIMEOUT);
            if (timeout >= CallContext.NO_TIMEOUT) {
                return -1;
            }
            longest = Math.max(longest, timeout);
        }
        return Math.max(0, longest - (System.nanoTime() - sent));
    }

    private ClientRequest bounded(ClientRequest request) {
        if (perCallTimeout == null) {
            return request;
        }
        return request.timeout().filter(own -> own.compareTo(perCallTimeout) <= 0).isPresent()
                ? request : request.timeout(perCallTimeout);
    }

    private FanoutResult.Outcome outcome(ClientRequest request, ClientResponse response, Throwable error,
            ErrorReport.Collector errors) {
        if (error == null) {
            if (good.test(response)) {
                return new FanoutResult.Outcome.Success(request, response);
            }
            String type = "HTTP " + response.status();
            errors.add(response.request().service(), type, request + " answered " + response.status()
                    + (response.endpoint() != null ? " from " + response.endpoint() : ""));
            return new FanoutResult.Outcome.Failure(request, type, response, null);
        }
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof CallException call) {
            errors.add(call);
            return new FanoutResult.Outcome.Failure(request, call.kind().name(), null, call);
        }
        String type = cause.getClass().getSimpleName();
        errors.add(request.service(), type, String.valueOf(cause.getMessage()));
        return new FanoutResult.Outcome.Failure(request, type, null, cause);
    }

    private static Duration positive(Duration timeout, String what) {
        Objects.requireNonNull(timeout, what);
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException(what + ": " + timeout + " (expected: positive)");
        }
        return timeout;
    }
}
