package dev.ballast.client.internal;

import dev.ballast.client.CallContext;
import dev.ballast.client.ClientRequest;
import dev.ballast.client.ClientResponse;
import dev.ballast.client.TraceContext;
import dev.ballast.client.interceptor.Interceptor;
import dev.ballast.core.state.EndpointState;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One call from the caller's point of view: its scope, its trace position and what its attempts
 * have learnt so far (how many were sent, which endpoint the last one used).
 */
public final class Call {

    private final CallContext context;
    private final TraceContext trace;
    private final AtomicInteger attemptsSent = new AtomicInteger();
    private volatile EndpointState lastEndpoint;

    private Call(CallContext context, TraceContext trace) {
        this.context = context;
        this.trace = trace;
    }

    /**
     * A call for {@code request}: a child of its context, bounded by its timeout, on a new span of
     * the context's trace (or of a new trace).
     */
    public static Call of(ClientRequest request) {
        CallContext parent = request.context();
        CallContext scope = request.timeout().map(parent::withTimeout).orElseGet(parent::child);
        TraceContext trace = parent.trace().map(TraceContext::child).orElseGet(TraceContext::newRoot);
        return new Call(scope, trace);
    }

    /** Runs the call through {@code steps}, the last of which sends it. */
    public ClientResponse run(List<Interceptor> steps, ClientRequest request) {
        ClientResponse response = RealChain.start(this, steps, "the client", request, context).proceed(request);
        return response.attempts() == attemptsSent.get() ? response : response.withAttempts(attemptsSent.get());
    }

    public CallContext context() {
        return context;
    }

    public TraceContext trace() {
        return trace;
    }

    public int attemptsSent() {
        return attemptsSent.get();
    }

    /** Counts an attempt about to go to {@code endpoint}; returns its number, from 1. */
    int attemptStarted(EndpointState endpoint) {
        lastEndpoint = endpoint;
        return attemptsSent.incrementAndGet();
    }

    /** The endpoint the latest attempt went to: the one a new attempt should avoid. */
    EndpointState lastEndpoint() {
        return lastEndpoint;
    }
}
