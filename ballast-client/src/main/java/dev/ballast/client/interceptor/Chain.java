package dev.ballast.client.interceptor;

import dev.ballast.client.CallContext;
import dev.ballast.client.ClientRequest;
import dev.ballast.client.ClientResponse;
import dev.ballast.client.TraceContext;

/**
 * What an {@link Interceptor} gets: the request so far and the rest of the call. An immutable list
 * plus a position, as in OkHttp's {@code RealInterceptorChain}.
 *
 * <p>{@link #proceed} runs the next steps once. To try again (retries, hedges) an interceptor asks
 * for {@link #newAttempt()}, which gives a fresh chain at the same position with its own
 * cancellation scope; calling {@code proceed} twice on one chain is a bug and fails with an
 * {@link IllegalStateException} that names the interceptor.
 */
public interface Chain {

    /** The request as the previous steps left it. */
    ClientRequest request();

    /**
     * Sends {@code request} through the remaining steps and returns their response.
     *
     * @throws dev.ballast.client.CallException when the remaining steps produce no response
     * @throws IllegalStateException            when called a second time on this chain
     */
    ClientResponse proceed(ClientRequest request);

    /**
     * Another attempt at this position: a chain whose {@code proceed} may be called once more. Its
     * context is a child of this one, so cancelling it (say, the losing hedge) stops only that
     * attempt; the balancer avoids the endpoint the call's previous attempt used.
     */
    Chain newAttempt();

    /** The scope of this attempt: deadline, cancellation and trace. */
    CallContext context();

    /** The trace position the call is sent with ({@code traceparent}). */
    TraceContext trace();

    /** Attempts sent so far by this call, through any chain. */
    int attemptsSent();
}
