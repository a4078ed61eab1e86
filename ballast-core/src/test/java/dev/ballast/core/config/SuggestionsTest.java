package dev.ballast.core.config;

import org.junit.jupiter.api.Test;
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
    @CsvSource({"kitten, sitting, 3", "weigth, weight, 1", "'', abc, 3", "abc, '', 3", "same, same, 0", "ab, ba, 1",
            "ca, abc, 3", "abcdef, badcfe, 3", "connect_timeout, conncet_timeuot, 2", "a-b_c, a_b-c, 2"})
    void countsEditsWithAdjacentSwapsAsOne(String a, String b, int distance) {
        assertThat(Suggestions.distance(a, b)).isEqualTo(distance);
    }

    @Test
    void aValueOfMegabytesGetsNoHintAndCostsNoTableOfItsLength() {
        // A 3 MB value in a 4 MiB file used to allocate a table of 3 million rows per candidate.
        assertThat(Suggestions.closest("k".repeat(3_000_000), KEYS)).isEmpty();
        assertThat(Suggestions.distance("k".repeat(3_000_000), "kk")).isEqualTo(2_999_998);
    }
}
