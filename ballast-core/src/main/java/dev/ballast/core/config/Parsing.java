package dev.ballast.core.config;

import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * How a config reader calls the parsers of this package: each throws IllegalArgumentException with a
 * message that names what was written and what is expected, and the reader wants that message as a
 * problem of the node it is reading, then an empty result so that it can carry on and report the rest.
 */
public final class Parsing {

    private Parsing() {
    }

    /**
     * {@code parser} applied to {@code input} (a text, or a list of texts); when it refuses the input,
     * its message goes to {@code problem} and the result is empty. Other exceptions are bugs, and
     * propagate.
     */
    public static <I, T> Optional<T> attempt(I input, Function<I, T> parser, Consumer<String> problem) {
        try {
            return Optional.of(parser.apply(input));
        } catch (IllegalArgumentException e) {
            problem.accept(e.getMessage());
            return Optional.empty();
        }
    }
}
