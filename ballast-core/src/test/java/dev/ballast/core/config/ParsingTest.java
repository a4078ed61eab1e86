package dev.ballast.core.config;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ParsingTest {

    private final List<String> problems = new ArrayList<>();

    @Test
    void givesTheParsedValueAndReportsNothing() {
        assertThat(Parsing.attempt("250ms", Durations::parseMillis, problems::add)).contains(250L);
        assertThat(problems).isEmpty();
    }

    @Test
    void reportsTheParsersOwnMessageAndGivesNothingWhenItRefuses() {
        assertThat(Parsing.attempt("15", Durations::parseMillis, problems::add)).isEmpty();

        assertThat(problems).hasSize(1);
        assertThat(problems.get(0)).isEqualTo(messageOf(() -> Durations.parseMillis("15")));
    }

    @Test
    void letsOtherExceptionsThrough() {
        assertThatThrownBy(() -> Parsing.attempt("x", text -> {
            throw new IllegalStateException("a bug");
        }, problems::add)).isInstanceOf(IllegalStateException.class);
        assertThat(problems).isEmpty();
    }

    private static String messageOf(Runnable refused) {
        try {
            refused.run();
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        throw new AssertionError("not refused");
    }
}
