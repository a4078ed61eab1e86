package dev.ballast.client.internal;

import dev.ballast.client.CallContext;
import dev.ballast.client.ClientRequest;
import dev.ballast.client.ClientResponse;
import dev.ballast.client.TraceContext;
import dev.ballast.client.interceptor.Interceptor;
import dev.ballast.core.pick.PickContext;
import dev.ballast.core.state.EndpointState;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One call from the caller's point of view: its scope, its trace position and what its attempts
 * have learnt so far (how many were sent, which endpoint the last one used).
 *
 * <p>Also what the balancer may know about the call ({@link PickContext}): the call is the per-call
 * object the core asks for, so a pick allocates nothing. Its affinity key is the same for every
 * attempt (retries and hedges resend one request), and the endpoints to avoid are those its earlier
 * attempts used, the latest most of all.
 */
public final class Call implements PickContext {

    private static final EndpointState[] NONE = new EndpointState[0];

    private final CallContext context;
    private final TraceContext trace;
    private final AtomicInteger attemptsSent = new AtomicInteger();
    private volatile EndpointState lastEndpoint;
    /** The endpoints of the attempts before the latest; replaced whole, under this, on each later attempt. */
    private volatile EndpointState[] earlier = NONE;
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
        synchronized (this) {
            EndpointState previous = lastEndpoint;
            if (previous != null) { // a retry or a hedge: the first attempt allocates nothing here
                EndpointState[] before = earlier;
                EndpointState[] after = Arrays.copyOf(before, before.length + 1);
                after[before.length] = previous;
                earlier = after;
            }
            lastEndpoint = endpoint;
        }
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

    /** The endpoint the latest attempt went to: the one a new attempt should avoid most. */
    @Override
    public EndpointState avoid() {
        return lastEndpoint;
    }

    /** Any endpoint an earlier attempt went to: a retry or a hedge goes elsewhere while it can. */
    @Override
    public boolean avoids(EndpointState endpoint) {
        if (endpoint == lastEndpoint) {
            return true;
        }
        for (EndpointState before : earlier) {
            if (before == endpoint) {
                return true;
            }
        }
        return false;
    }
}
