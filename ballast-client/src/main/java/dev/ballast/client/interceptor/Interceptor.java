package dev.ballast.client.interceptor;

import dev.ballast.client.ClientResponse;

import java.util.Objects;

/**
 * One step of a call, in the role of OkHttp's interceptors or Go's {@code http.RoundTripper}: it
 * sees the request and the {@link Chain}, and may change the request, answer without sending
 * ({@code return} a response without calling {@code proceed}), try again ({@link Chain#newAttempt()}),
 * or observe the response or failure on the way back.
 *
 * <p>Threading: called on the thread that runs the call (the caller's for {@code send}, a virtual
 * thread for {@code sendAsync}), possibly by many calls at once, so implementations are
 * thread-safe. Blocking is fine: calls run on threads made for it. Failures travel as
 * {@link dev.ballast.client.CallException}.
 */
@FunctionalInterface
public interface Interceptor {

    /** Handles one pass of the call through this step. Never returns null. */
    ClientResponse intercept(Chain chain);

    /** Names this step in error messages and logs; the class name unless overridden. */
    default String name() {
        String simple = getClass().getSimpleName();
        int lambda = simple.indexOf("$$Lambda");
        return lambda >= 0 ? "lambda in " + simple.substring(0, lambda) : simple;
    }

    /** {@code interceptor} under {@code name}: lambdas have no useful class name. */
    static Interceptor named(String name, Interceptor interceptor) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(interceptor, "interceptor");
        return new Interceptor() {
            @Override
            public ClientResponse intercept(Chain chain) {
                return interceptor.intercept(chain);
            }

            @Override
            public String name() {
                return name;
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
