package dev.ballast.client.interceptor;

import dev.ballast.client.ClientRequest;
import dev.ballast.client.ClientResponse;

import java.util.Map;
import java.util.function.Supplier;

/**
 * Adds headers to every request: defaults that a request may override, or credentials that it may
 * not (auth replaces whatever the request carried, so a stale token never leaks through).
 */
final class HeaderInterceptor implements Interceptor {

    private final String name;
    private final Map<String, Supplier<String>> headers;
    private final boolean override;

    HeaderInterceptor(String name, Map<String, Supplier<String>> headers, boolean override) {
        this.name = name;
        this.headers = Map.copyOf(headers);
        this.override = override;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public ClientResponse intercept(Chain chain) {
        ClientRequest request = chain.request();
        for (Map.Entry<String, Supplier<String>> header : headers.entrySet()) {
            if (override || request.header(header.getKey()).isEmpty()) {
                request = request.setHeader(header.getKey(), header.getValue().get());
            }
        }
        return chain.proceed(request);
    }
}
