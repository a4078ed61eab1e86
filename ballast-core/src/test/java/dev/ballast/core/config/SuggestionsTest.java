package dev.ballast.core.config;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SuggestionsTest {

    private static final List<String> KEYS = List.of("balancer", "hash_key", "endpoints", "connect_timeout",
            "weight", "round-robin", "least-request");

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "conect_timeout, connect_timeout",
            "connect-timeout, connect_timeout",
            "weigth, weight",
            "Balancer, balancer",
            "round_robin, round-robin",
            "leastrequest, least-request",
            "endpoint, endpoints",
    })
    void suggestsTheClosestCandidate(String typed, String suggestion) {
        assertThat(Suggestions.closest(typed, KEYS)).contains(suggestion);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"tls", "retries", "lb", "timeout"})
    void suggestsNothingFarFetched(String typed) {
        assertThat(Suggestions.closest(typed, KEYS)).isEmpty();
    }

    @ParameterizedTest(name = "{0} to {1} = {2}")
    @CsvSource({"kitten, sitting, 3", "weigth, weight, 1", "'', abc, 3", "same, same, 0"})
    void countsEditsWithAdjacentSwapsAsOne(String a, String b, int distance) {
        assertThat(Suggestions.distance(a, b)).isEqualTo(distance);
    }
}
