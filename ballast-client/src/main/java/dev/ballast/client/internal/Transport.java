package dev.ballast.client.internal;

import dev.ballast.client.CallContext;
import dev.ballast.client.CallException;
import dev.ballast.client.CallException.Kind;
import dev.ballast.client.ClientRequest;
import dev.ballast.client.ClientResponse;
import dev.ballast.client.TraceContext;
import dev.ballast.client.interceptor.Chain;
import dev.ballast.client.interceptor.Interceptor;
import dev.ballast.core.pick.HashKeys;
import dev.ballast.core.pick.PickResult;
import dev.ballast.core.resilience.CircuitBreaker;
import dev.ballast.core.state.EndpointState;
import dev.ballast.core.time.Scheduler;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLHandshakeException;

/**
 * The last step of a service's chain: picks an endpoint, sends one attempt over the
 * {@link java.net.http.HttpClient}, and gives the endpoint's slot back with the attempt's latency
 * and outcome. Every way an attempt can end without a response becomes a {@link CallException}
 * with a {@link Kind}.
 */
final class Transport implements Interceptor {

    private final Channel channel;

    Transport(Channel channel) {
        this.channel = channel;
    }

    @Override
    public String name() {
        return "transport";
    }

    @Override
    public ClientResponse intercept(Chain chain) {
        Call call = ((RealChain) chain).call();
        ClientRequest request = chain.request();
        CallContext context = chain.context();
        String service = channel.name();
        TraceContext trace = call.trace();
        if (context.isCancelled()) {
            throw new CallException(Kind.CANCELLED, service, null, trace, service + ": cancelled before sending", null);
        }
        if (context.isExpired()) {
            throw new CallException(Kind.DEADLINE_EXCEEDED, service, null, trace,
                    service + ": deadline passed before attempt " + (call.attemptsSent() + 1), null);
        }
        CircuitBreaker.Admission admission = channel.breaker().tryAcquireRequest();
        if (!admission.admitted()) {
            throw new CallException(Kind.REJECTED, service, null, trace,
                    service + ": " + channel.breaker().describe(admission), null);
        }
        try {
            return send(request, call, context, trace);
        } finally {
            channel.breaker().releaseRequest();
        }
    }

    private ClientResponse send(ClientRequest request, Call call, CallContext context, TraceContext trace) {
        EndpointState endpoint = pick(request, call, trace);
        int attempt = call.attemptStarted(endpoint);
        long responseTimeout = channel.attemptTimeoutNanos();
        long remaining = context.remainingNanos();
        boolean deadlineBound = remaining <= responseTimeout;
        long timeout = Math.max(1, Math.min(responseTimeout, remaining));
        long start = channel.ticker().nanos();
        long latency = -1;
        int status = 0;
        Kind failure = null;
        Kind expiry = deadlineBound ? Kind.DEADLINE_EXCEEDED : Kind.TIMEOUT;
        try {
            AttemptGuard guard = new AttemptGuard(Thread.currentThread());
            Scheduler.Cancellable timer = channel.timers().schedule(() -> guard.stop(expiry), timeout);
            CallContext.Registration cancellation = context.onCancel(() -> guard.stop(Kind.CANCELLED));
            HttpResponse<byte[]> response = null;
            Exception error = null;
            Kind stopped;
            LimitedBody body = channel.body(request.method());
            try {
                response = channel.http().send(toHttp(request, endpoint, trace, context, timeout), body);
            } catch (InterruptedException | IOException e) {
                error = e;
            } finally {
                cancellation.close();
                timer.cancel();
                stopped = guard.finish();
            }
            if (response != null) { // even if a timer fired as it arrived: the answer is here
                latency = channel.ticker().nanos() - start;
                status = response.statusCode();
                return new ClientResponse(request, status, response.headers(), response.body(), endpoint.address(),
                        trace, attempt);
            }
            if (stopped == null && error instanceof InterruptedException) {
                Thread.currentThread().interrupt(); // the caller's own interrupt: keep it for them
                failure = Kind.CANCELLED;
                throw failed(failure, endpoint, trace, attempt, "interrupted", error);
            }
            if (stopped == null && body.refusal() != null) { // whatever the client made of the cancel
                failure = Kind.RESPONSE_TOO_LARGE;
                status = body.refusal().status(); // it answered: listeners see with what
                throw failed(failure, endpoint, trace, attempt, "answered, but " + body.refusal().getMessage(),
                        body.refusal());
            }
            failure = stopped != null ? stopped : classify((IOException) error);
            throw failed(failure, endpoint, trace, attempt, describe(failure, error, timeout),
                    stopped != null ? null : error);
        } finally {
            long end = channel.ticker().nanos();
            long elapsed = end - start;
            if (latency >= 0) {
                endpoint.release(latency, end);
            } else if (failure == Kind.TIMEOUT || failure == Kind.DEADLINE_EXCEEDED || failure == Kind.CANCELLED) {
                // No answer in all that time, whoever stopped the wait (the try's timer, the caller's
                // deadline, a hedge that won): at least this slow. Else a latency-aware balancer would
                // never learn that an endpoint whose tries always lose to hedges is slow.
                endpoint.releaseTimedOut(elapsed, end);
            } else {
                endpoint.release();
            }
            channel.attemptFinished(endpoint, status, failure, elapsed);
        }
    }

    private EndpointState pick(ClientRequest request, Call call, TraceContext trace) {
        String service = channel.name();
        if (request.endpoint().isPresent()) {
            String address = request.endpoint().get();
            EndpointState pinned = channel.acquire(address);
            if (pinned == null) {
                throw new CallException(Kind.NO_ENDPOINT, service, address, trace,
                        service + ": " + address + " is not one of its endpoints", null);
            }
            return pinned;
        }
        if (channel.hashBased()) {
            String key = HashKeyReader.keyOf(channel.config().hashKey(), request);
            if (key != null) {
                call.hashKey(HashKeys.hash(key));
            }
        }
        PickResult result = channel.pick(call); // the balancing step: no lock, no allocation
        return switch (result) {
            case PickResult.Picked picked -> picked.endpoint();
            case PickResult.Unavailable unavailable -> throw new CallException(Kind.NO_ENDPOINT, service, null, trace,
                    service + ": " + unavailable.reason().description(), null);
        };
    }

    /**
     * The JDK request. No {@code HttpRequest.timeout}: the attempt's timed wait enforces it, and a
     * request timeout would register a timer with the client's selector and wake it on every call.
     */
    /** @param timeout how long this try may take: the sooner of its own timeout and the call's deadline */
    private HttpRequest toHttp(ClientRequest request, EndpointState endpoint, TraceContext trace, CallContext context,
                               long timeout) {
        HttpRequest.Builder http = HttpRequest.newBuilder(channel.uri(endpoint, request.target()));
        if (request.body().length > 0) {
            http.method(request.method(), HttpRequest.BodyPublishers.ofByteArray(request.body()));
        } else {
            switch (request.method()) {
                case "GET" -> http.GET(); // no publisher: no Content-Length: 0 on a bodiless method
                case "HEAD" -> http.HEAD();
                case "DELETE" -> http.DELETE();
                default -> http.method(request.method(), HttpRequest.BodyPublishers.noBody());
            }
        }
        request.forEachHeader((name, value) -> {
            if (!name.equalsIgnoreCase(TraceContext.TRACEPARENT) && !name.equalsIgnoreCase(TraceContext.TRACESTATE)
                    && !name.equalsIgnoreCase(CallContext.TIMEOUT_HEADER)) {
                http.header(name, value); // the call's own trace and deadline win: one of each per call
            }
        });
        http.header(TraceContext.TRACEPARENT, trace.traceparent());
        if (!trace.traceState().isEmpty()) {
            http.header(TraceContext.TRACESTATE, trace.traceState());
        }
        if (context.hasDeadline()) {
            // This try's bound, not the whole call's: with a per-try timeout the client gives up on the try
            // (and may retry elsewhere) sooner than the deadline, and the callee should stop working too.
            // Rounded up, so it never says 0 while time is left.
            long millis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeout + 999_999));
            http.header(CallContext.TIMEOUT_HEADER, Long.toString(millis));
        }
        return http.build();
    }

    private CallException failed(Kind kind, EndpointState endpoint, TraceContext trace, int attempt, String what,
            Throwable cause) {
        String service = channel.name();
        return new CallException(kind, service, endpoint.address(), trace,
                service + ": attempt " + attempt + " to " + endpoint.address() + " " + what, cause);
    }

    private static Kind classify(IOException error) {
        // A failed TLS handshake is a failed connect too: the request goes out only after it.
        if (error instanceof HttpConnectTimeoutException || hasCause(error, ConnectException.class)
                || hasCause(error, SSLHandshakeException.class)) {
            return Kind.CONNECT_FAILURE;
        }
        return error instanceof HttpTimeoutException ? Kind.TIMEOUT : Kind.RESET;
    }

    private static String describe(Kind kind, Throwable cause, long timeoutNanos) {
        return switch (kind) {
            case CONNECT_FAILURE -> "could not connect (" + connectFailure(cause) + ")";
            case TIMEOUT -> "timed out after " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + "ms (per-try timeout)";
            case DEADLINE_EXCEEDED -> "deadline passed after " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + "ms";
            case CANCELLED -> "cancelled";
            default -> "failed after sending (" + message(cause) + ")";
        };
    }

    /**
     * Why a connect failed. The JDK's HttpClient reports a refused connection as a ConnectException
     * with no message anywhere in its chain; a ConnectException means a refusal (a timeout and an
     * unreachable host have types of their own), so it is said in words.
     */
    private static String connectFailure(Throwable cause) {
        String message = message(cause);
        boolean silent = cause != null && message.equals(cause.getClass().getSimpleName());
        return silent && hasCause(cause, ConnectException.class) ? "connection refused" : message;
    }

    /** The failure's type and the first message in its chain. */
    private static String message(Throwable cause) {
        if (cause == null) {
            return "unknown";
        }
        for (Throwable t = cause; t != null; t = t.getCause()) {
            String text = t.getMessage();
            if (text != null && !text.isBlank()) {
                return cause.getClass().getSimpleName() + ": " + text;
            }
        }
        return cause.getClass().getSimpleName();
    }

    private static boolean hasCause(Throwable error, Class<? extends IOException> type) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}
