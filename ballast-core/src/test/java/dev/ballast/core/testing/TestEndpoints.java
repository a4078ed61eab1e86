package dev.ballast.core.testing;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.state.EndpointRegistry;
import dev.ballast.core.state.EndpointState;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;

/** Endpoints with predictable addresses ({@code 10.0.x.y:8080}) and weights, for balancer tests. */
public final class TestEndpoints {

    private TestEndpoints() {
    }

    /** The address of the {@code index}-th test endpoint; distinct for indexes below 64,000. */
    public static String address(int index) {
        return "10.0." + index / 250 + "." + (index % 250 + 1) + ":8080";
    }

    /** {@code count} endpoints of weight 1. */
    public static List<Endpoint> equal(int count) {
        return weighted(count, i -> 1);
    }

    /** {@code count} endpoints, the {@code i}-th weighing {@code weight.applyAsInt(i)}. */
    public static List<Endpoint> weighted(int count, IntUnaryOperator weight) {
        List<Endpoint> endpoints = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            endpoints.add(Endpoint.parse(address(i)).withWeight(weight.applyAsInt(i)));
        }
        return endpoints;
    }

    /** One endpoint per weight, in order. */
    public static List<Endpoint> withWeights(int... weights) {
        return weighted(weights.length, i -> weights[i]);
    }

    /** Live states for {@code endpoints} in a fresh registry on a {@link FakeTicker}. */
    public static List<EndpointState> states(List<Endpoint> endpoints) {
        return new EndpointRegistry(new FakeTicker()).sync(endpoints);
    }
}
