package dev.ballast.client;

import java.util.List;

/**
 * What a {@link Fanout} found: one outcome per request, in request order, and the failures grouped.
 *
 * @param outcomes      one per request, in the order given
 * @param errors        the failures, grouped by (service, error type)
 * @param quorumReached true when enough calls succeeded (all of them, without a quorum); never without
 *                      any call
 */
public record FanoutResult(List<Outcome> outcomes, ErrorReport errors, boolean quorumReached) {

    public FanoutResult {
        outcomes = List.copyOf(outcomes);
    }

    /** The good responses, in request order. */
    public List<ClientResponse> responses() {
        return outcomes.stream()
                .filter(Outcome.Success.class::isInstance)
                .map(outcome -> ((Outcome.Success) outcome).response())
                .toList();
    }

    public long failureCount() {
        return outcomes.stream().filter(Outcome.Failure.class::isInstance).count();
    }

    /** How one request of a fan-out ended. */
    public sealed interface Outcome {

        ClientRequest request();

        /** A response the fan-out counts as good. */
        record Success(ClientRequest request, ClientResponse response) implements Outcome { }

        /**
         * No good response: {@code response} is the bad one (e.g. a 503), or null when {@code error} says
         * why there was none.
         */
        record Failure(ClientRequest request, String errorType, ClientResponse response, Throwable error)
                implements Outcome { }

        /** Still running when the quorum was reached, and then cancelled. */
        record Abandoned(ClientRequest request) implements Outcome { }
    }
}
