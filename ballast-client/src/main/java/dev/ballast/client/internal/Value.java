package dev.ballast.client.internal;

import dev.ballast.core.config.Durations;
import dev.ballast.core.config.Parsing;
import dev.ballast.core.config.Placeholders;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * One node of a generic document (what any YAML or JSON library makes of it: {@link Map}, {@link List},
 * {@link String}, {@link Number}, {@link Boolean}, null) at its path, read as a typed value the way
 * the proxy's {@code Value} reads its tree. Scalars are read as text, so the key decides the type and
 * a library's guess does not ({@code 15} is "15", then refused as a duration without a unit). A
 * problem is recorded with the path and the reader gets an empty Optional and carries on, so one read
 * reports everything that is wrong.
 */
final class Value {

    private static final Pattern WHOLE_NUMBER = Pattern.compile("[+-]?[0-9]+");

    private final Object node;
    private final String path;
    private final Problems problems;
    private final Function<String, String> env;

    Value(Object node, String path, Problems problems, Function<String, String> env) {
        // The proxy's YAML parser reads "" as nothing, so "key:" and key: "" mean the same here too.
        this.node = node instanceof String text && text.isEmpty() ? null : node;
        this.path = path;
        this.problems = problems;
        this.env = env;
    }

    String path() {
        return path;
    }

    void error(String message) {
        problems.error(path, message);
    }

    void warn(String message) {
        problems.warn(path, message);
    }

    Problems problems() {
        return problems;
    }

    boolean isMapping() {
        return node instanceof Map<?, ?>;
    }

    boolean isSequence() {
        return node instanceof List<?>;
    }

    /** A key with nothing after it ({@code key:}). */
    boolean isEmpty() {
        return node == null;
    }

    /** What this node is, for "expected X, got Y" messages, in the proxy's words. */
    String describe() {
        return switch (node) {
            case null -> "nothing";
            case Map<?, ?> mapping -> "a mapping";
            case List<?> list -> "a list";
            default -> "'" + scalarText(node) + "'";
        };
    }

    /** The scalar's text after {@code ${VAR}} expansion. */
    Optional<String> text(String expected) {
        if (node == null || node instanceof Map<?, ?> || node instanceof List<?>) {
            error("expected " + expected + ", got " + describe());
            return Optional.empty();
        }
        return Parsing.attempt(scalarText(node), text -> Placeholders.expand(text, env), this::error);
    }

    /** Text that must not be blank, stripped. */
    Optional<String> word(String expected) {
        return text(expected).filter(text -> {
            if (text.isBlank()) {
                error("empty (expected: " + expected + ")");
                return false;
            }
            return true;
        }).map(String::strip);
    }

    /**
     * A word read by {@code parser}, one of the shared parsers of {@code core.config}: its refusal
     * becomes this node's problem, with the parser's message.
     */
    <T> Optional<T> parsed(String expected, Function<String, T> parser) {
        return word(expected).flatMap(text -> Parsing.attempt(text, parser, this::error));
    }

    Optional<Integer> integer(int min, int max) {
        String range = min + ".." + max;
        return text("a whole number " + range).flatMap(text -> {
            String digits = text.strip();
            if (!WHOLE_NUMBER.matcher(digits).matches()) { // ASCII digits only: Long.parseLong takes others too
                error("'" + text + "' is not a whole number (expected: " + range + ")");
                return Optional.empty();
            }
            long number;
            try {
                number = Long.parseLong(digits);
            } catch (NumberFormatException e) { // digits past a long's range
                error(digits + " out of range (expected: " + range + ")");
                return Optional.empty();
            }
            if (number < min || number > max) {
                error(number + " out of range (expected: " + range + ")");
                return Optional.empty();
            }
            return Optional.of((int) number);
        });
    }

    /** Milliseconds, at least {@code minMillis} (0 or 1: "may be zero" or "must be positive"). */
    Optional<Long> duration(long minMillis) {
        return text(Durations.EXPECTED).flatMap(text -> Parsing.attempt(text,
                t -> Durations.parseMillis(t, minMillis), this::error));
    }

    /** A mapping with exactly these keys allowed; an empty value reads as an empty mapping. */
    Optional<Section> section(List<String> keys) {
        return switch (node) {
            case null -> Optional.of(new Section(this, Map.of(), keys));
            case Map<?, ?> mapping -> Optional.of(new Section(this, mapping, keys));
            default -> {
                error("expected a mapping with keys " + String.join(", ", keys) + ", got " + describe());
                yield Optional.empty();
            }
        };
    }

    /** The items of a list; an empty value reads as an empty list. */
    Optional<List<Value>> items(String expected) {
        return switch (node) {
            case null -> Optional.of(List.of());
            case List<?> list -> {
                List<Value> items = new ArrayList<>(list.size());
                for (Object item : list) {
                    items.add(new Value(item, Paths.index(path, items.size()), problems, env));
                }
                yield Optional.of(items);
            }
            default -> {
                error("expected " + expected + ", got " + describe());
                yield Optional.empty();
            }
        };
    }

    /** A mapping with free-form keys (names chosen by the user), in the map's order. */
    Optional<Map<String, Value>> entries(String expected) {
        return switch (node) {
            case null -> Optional.of(Map.of());
            case Map<?, ?> mapping -> {
                Map<String, Value> entries = new LinkedHashMap<>();
                mapping.forEach((key, child) -> {
                    String name = String.valueOf(key);
                    entries.put(name, new Value(child, Paths.key(path, name), problems, env));
                });
                yield Optional.of(entries);
            }
            default -> {
                error("expected " + expected + ", got " + describe());
                yield Optional.empty();
            }
        };
    }

    /** Text values of a free-form mapping of strings (metadata). */
    Map<String, String> strings(String expected) {
        Map<String, String> strings = new LinkedHashMap<>();
        entries(expected).orElse(Map.of())
                .forEach((key, value) -> value.text("a string").ifPresent(text -> strings.put(key, text)));
        return strings;
    }

    Value child(Object childNode, String key) {
        return new Value(childNode, Paths.key(path, key), problems, env);
    }

    /**
     * A scalar as the text it was written as, as near as a parsed value allows: {@code 1.25} and
     * {@code 3} print as written; a {@link BigDecimal} without an exponent.
     */
    private static String scalarText(Object scalar) {
        return scalar instanceof BigDecimal decimal ? decimal.toPlainString() : String.valueOf(scalar);
    }
}
