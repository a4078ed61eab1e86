package dev.ballast.client.interceptor;

import dev.ballast.client.ClientRequest;
import dev.ballast.client.ClientResponse;

import java.util.List;
import java.util.function.Predicate;

/** Sends a request to another service when it matches a rule; the first matching rule wins. */
final class RoutingInterceptor implements Interceptor {

    /** A request to {@code from} (or any, for {@code *}) matching {@code when} goes to {@code to}. */
    record Rule(String from, Predicate<ClientRequest> when, String to, String description) {

        boolean matches(ClientRequest request) {
            return (from.equals("*") || from.equals(request.service())) && when.test(request);
        }
    }

    private final List<Rule> rules;

    RoutingInterceptor(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    @Override
    public String name() {
        return "routing";
    }

    @Override
    public ClientResponse intercept(Chain chain) {
        ClientRequest request = chain.request();
        for (Rule rule : rules) {
            if (rule.matches(request)) {
                return chain.proceed(request.service(rule.to()));
            }
        }
        return chain.proceed(request);
    }

    @Override
    public String toString() {
        return "routing" + rules.stream().map(Rule::description).toList();
    }
}
