package dev.ballast.client.internal;

import dev.ballast.client.CallException;
import dev.ballast.client.ClientRequest;
import dev.ballast.client.ClientResponse;
import dev.ballast.client.interceptor.Chain;
import dev.ballast.client.interceptor.Interceptor;

import java.util.Map;

/**
 * The last application-level step: finds the service the request now names (an interceptor may
 * have routed it elsewhere) and continues the call in that service's own steps.
 */
public final class Dispatch implements Interceptor {

    private final Map<String, Channel> channels;

    public Dispatch(Map<String, Channel> channels) {
        this.channels = Map.copyOf(channels);
    }

    @Override
    public String name() {
        return "dispatch";
    }

    @Override
    public ClientResponse intercept(Chain chain) {
        ClientRequest request = chain.request();
        Channel channel = channels.get(request.service());
        if (channel == null) {
            throw new CallException(CallException.Kind.UNKNOWN_SERVICE, request.service(), null, chain.trace(),
                    request.service() + ": not a configured service (expected one of: "
                            + String.join(", ", new java.util.TreeSet<>(channels.keySet())) + ")", null);
        }
        return ((RealChain) chain).continueWith(channel.steps(), name(), request);
    }
}
