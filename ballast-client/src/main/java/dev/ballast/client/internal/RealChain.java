package dev.ballast.client.internal;

import dev.ballast.client.CallContext;
import dev.ballast.client.ClientRequest;
import dev.ballast.client.ClientResponse;
import dev.ballast.client.TraceContext;
import dev.ballast.client.interceptor.Chain;
import dev.ballast.client.interceptor.Interceptor;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The chain as an immutable list of steps and a position (OkHttp's {@code RealInterceptorChain}).
 * Each chain may be proceeded once; {@link #newAttempt()} hands out another for a retry or hedge.
 */
final class RealChain implements Chain {

    private final Call call;
    private final List<Interceptor> steps;
    private final int index;
    /** The step this chain was handed to: the one to blame for a second {@code proceed}. */
    private final String holder;
    private final ClientRequest request;
    private final CallContext context;
    /**
     * The context new attempts are children of: this chain's own, or, for an attempt (which closes its
     * context when done), the one it was made from, so that an attempt taken from a finished attempt
     * is its sibling, not the child of a cancelled context.
     */
    private final CallContext attemptsFrom;
    private final AtomicBoolean proceeded = new AtomicBoolean();

    private RealChain(Call call, List<Interceptor> steps, int index, String holder, ClientRequest request,
            CallContext context, CallContext attemptsFrom) {
        this.call = call;
        this.steps = steps;
        this.index = index;
        this.holder = holder;
        this.request = request;
        this.context = context;
        this.attemptsFrom = attemptsFrom;
    }

    /** A chain that starts {@code steps} from the first, on behalf of {@code holder}. */
    static RealChain start(Call call, List<Interceptor> steps, String holder, ClientRequest request,
            CallContext context) {
        return new RealChain(call, steps, 0, holder, request, context, context);
    }

    /** True when this chain made its context (a new attempt) and so closes it when done. */
    private boolean ownsContext() {
        return attemptsFrom != context;
    }

    @Override
    public ClientRequest request() {
        return request;
    }

    @Override
    public ClientResponse proceed(ClientRequest next) {
        Objects.requireNonNull(next, "request");
        if (!proceeded.compareAndSet(false, true)) {
            throw new IllegalStateException("interceptor '" + holder + "' called proceed() twice in one attempt"
                    + " (expected: at most once; use chain.newAttempt() to try again)");
        }
        if (index >= steps.size()) {
            throw new IllegalStateException("interceptor '" + holder + "' called proceed() but it is the last step");
        }
        Interceptor step = steps.get(index);
        try {
            ClientResponse response = step.intercept(
                    new RealChain(call, steps, index + 1, step.name(), next, context, context));
            if (response == null) {
                throw new IllegalStateException(
                        "interceptor '" + step.name() + "' returned null (expected: a response or a CallException)");
            }
            return response;
        } finally {
            if (ownsContext()) {
                context.close();
            }
        }
    }

    @Override
    public Chain newAttempt() {
        return new RealChain(call, steps, index, holder, request, attemptsFrom.child(), attemptsFrom);
    }

    @Override
    public CallContext context() {
        return context;
    }

    @Override
    public TraceContext trace() {
        return call.trace();
    }

    @Override
    public int attemptsSent() {
        return call.attemptsSent();
    }

    Call call() {
        return call;
    }

    /** Continues the call in another list of steps (a service's), as if they followed this one. */
    ClientResponse continueWith(List<Interceptor> next, String holderName, ClientRequest nextRequest) {
        return new RealChain(call, next, 0, holderName, nextRequest, context, context).proceed(nextRequest);
    }
}
