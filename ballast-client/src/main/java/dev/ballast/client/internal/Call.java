package dev.ballast.client.internal;

import dev.ballast.client.CallContext;
import dev.ballast.client.ClientRequest;
import dev.ballast.client.ClientResponse;
import dev.ballast.client.TraceContext;
import dev.ballast.client.interceptor.Interceptor;
import dev.ballast.core.pick.PickContext;
import dev.ballast.core.state.EndpointState;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One call from the caller's point of view: its scope, its trace position and what its attempts
 * have learnt so far (how many were sent, which endpoint the last one used).
 *
 * <p>Also what the balancer may know about the call ({@link PickContext}): the call is the per-call
 * object the core asks for, so a pick allocates nothing. Its affinity key is the same for every
 * attempt (retries and hedges resend one request), and the endpoint to avoid is the one the latest
 * attempt used.
 */
public final class Call implements PickContext {

    private final CallContext context;
    private final TraceContext trace;
    private final AtomicInteger attemptsSent = new AtomicInteger();
    private volatile EndpointState lastEndpoint;
    private volatile long hash;
    private volatile boolean hasHash;

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

    /** Sets the affinity key's hash for the balancer (before the first pick; later attempts write the same). */
    void hashKey(long keyHash) {
        hash = keyHash;
        hasHash = true;
    }

    @Override
    public long hash() {
        return hash;
    }

    @Override
    public boolean hasHash() {
        return hasHash;
    }

    /** The endpoint the latest attempt went to: the one a new attempt should avoid. */
    @Override
    public EndpointState avoid() {
        return lastEndpoint;
    }
}
