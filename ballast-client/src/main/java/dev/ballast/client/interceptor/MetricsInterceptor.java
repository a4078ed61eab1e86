package dev.ballast.client.interceptor;

import dev.ballast.client.CallException;
import dev.ballast.client.CallListener;
import dev.ballast.client.ClientRequest;
import dev.ballast.client.ClientResponse;

/**
 * Reports each call it wraps to a {@link CallListener}: where it sits decides what it measures
 * (first in the list: everything, interceptors included; last: the service's attempts only).
 */
final class MetricsInterceptor implements Interceptor {

    private final CallListener listener;

    MetricsInterceptor(CallListener listener) {
        this.listener = listener;
    }

    @Override
    public String name() {
        return "metrics";
    }

    @Override
    public ClientResponse intercept(Chain chain) {
        ClientRequest request = chain.request();
        long start = System.nanoTime();
        ClientResponse response;
        try {
            response = chain.proceed(request);
        } catch (CallException e) {
            listener.callFinished(new CallListener.CallEvent(e.service(), request.method(), 0, e.kind(),
                    chain.attemptsSent(), System.nanoTime() - start));
            throw e;
        } catch (Throwable e) {
            // Not a call failure but a bug or a refusal on the way (another interceptor, the JDK), a checked
            // exception too when thrown undeclared (Kotlin, @SneakyThrows): still a call.
            listener.callFinished(new CallListener.CallEvent(request.service(), request.method(), 0, null,
                    chain.attemptsSent(), System.nanoTime() - start));
            throw e;
        }
        // Outside the try: a listener that breaks its contract and throws is not reported as a second call.
        listener.callFinished(new CallListener.CallEvent(response.request().service(), request.method(),
                response.status(), null, chain.attemptsSent(), System.nanoTime() - start));
        return response;
    }
}
