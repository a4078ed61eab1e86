package dev.ballast.proxy.config;

import dev.ballast.core.config.Durations;
import dev.ballast.core.config.Parsing;
import dev.ballast.core.config.Percentages;
import dev.ballast.core.config.Placeholders;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * One node of the document at its path, read as a typed value. A problem is recorded with this path
 * and line and the reader gets an empty Optional and carries on, so one load reports everything that
 * is wrong. Scalars go through {@code ${VAR}} expansion before they are typed.
 */
final class Value {

    private static final Pattern WHOLE_NUMBER = Pattern.compile("[+-]?[0-9]+");

    private final Node node;
    private final String path;
    private final int line;
    private final Problems problems;
    private final Function<String, String> env;

    Value(Node node, String path, int line, Problems problems, Function<String, String> env) {
        this.node = node;
        this.path = path;
        this.line = line;
        this.problems = problems;
        this.env = env;
    }

    String path() {
        return path;
    }

    int line() {
        return line;
    }

    void error(String message) {
        problems.error(path, line, message);
    }

    void warn(String message) {
        problems.warn(path, line, message);
    }

    boolean isMapping() {
        return node instanceof Node.Mapping;
    }

    /** True for a mapping with {@code key}, whatever its value; reports nothing. */
    boolean hasKey(String key) {
        return node instanceof Node.Mapping mapping && mapping.entries().containsKey(key);
    }

    /** The values of a mapping, or none for anything else; reports nothing (for checks across sections). */
    Collection<Value> children() {
        if (!(node instanceof Node.Mapping mapping)) {
            return List.of();
        }
        return mapping.entries().keySet().stream().map(key -> child(mapping, key)).toList();
    }

    /** A key with nothing after it ({@code key:}). */
    boolean isEmpty() {
        return node instanceof Node.Empty;
    }

    boolean isSequence() {
        return node instanceof Node.Sequence;
    }

    Problems problems() {
        return problems;
    }

    /** The scalar's text after {@code ${VAR}} expansion. */
    Optional<String> text(String expected) {
        if (node instanceof Node.Scalar scalar) {
            return Parsing.attempt(scalar.text(), text -> Placeholders.expand(text, env), this::error);
        }
        error("expected " + expected + ", got " + node.describe());
        return Optional.empty();
    }

    /** Text that must not be blank. */
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
     * A file path: a word the file system takes as one (on Linux, any without a NUL character, which a
     * quoted YAML string can hold). Checked here, or {@link Path#of} would throw where the file is used.
     */
    Optional<Path> path(String expected) {
        return word(expected).flatMap(text -> {
            try {
                return Optional.of(Path.of(text));
            } catch (InvalidPathException e) {
                error("not a file path: " + e.getReason() + " (expected: " + expected + ")");
                return Optional.empty();
            }
        });
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

    static final String SHARE_EXPECTED = "a share of requests from 0 to 1, like 0.1, or a percentage like 10%";

    /** A share from 0 to 1, written as a fraction ({@code 0.1}) or a percentage ({@code 10%}). */
    Optional<Double> share() {
        return word(SHARE_EXPECTED).flatMap(text -> {
            double share;
            try {
                share = text.endsWith("%") ? Percentages.parseFraction(text) : Double.parseDouble(text);
            } catch (IllegalArgumentException e) {
                error("'" + text + "' is not a share of requests (expected: " + SHARE_EXPECTED + ")");
                return Optional.empty();
            }
            if (!(share >= 0 && share <= 1)) {
                error(text + " out of range (expected: " + SHARE_EXPECTED + ")");
                return Optional.empty();
            }
            return Optional.of(share);
        });
    }

    Optional<Boolean> bool() {
        return text("true or false").flatMap(text -> switch (text.strip()) {
            case "true" -> Optional.of(true);
            case "false" -> Optional.of(false);
            default -> {
                error("'" + text + "' is not a boolean (expected: true or false)");
                yield Optional.empty();
            }
        });
    }

    /** Milliseconds, at least {@code minMillis} (0 or 1: "may be zero" or "must be positive"). */
    Optional<Long> duration(long minMillis) {
        return text(Durations.EXPECTED).flatMap(text -> Parsing.attempt(text,
                t -> Durations.parseMillis(t, minMillis), this::error));
    }

    /** Microseconds from 0 to {@code maxMicros}, {@code max} spelling that bound in the file's terms. */
    Optional<Long> durationMicros(long maxMicros, String max) {
        return text(Durations.EXPECTED_FINE).flatMap(text -> Parsing.attempt(text,
                t -> Durations.parseMicros(t, maxMicros, max), this::error));
    }

    Optional<Long> size(long min, long max, String expected) {
        return text(ByteSizes.EXPECTED).flatMap(text -> Parsing.attempt(text, ByteSizes::parseBytes, this::error)
                .filter(bytes -> {
                    if (bytes < min || bytes > max) {
                        error("'" + text.strip() + "' out of range (expected: " + expected + ")");
                        return false;
                    }
                    return true;
                }));
    }

    /** A mapping with exactly these keys allowed; an empty value reads as an empty mapping. */
    Optional<Section> section(List<String> keys) {
        return switch (node) {
            case Node.Mapping mapping -> Optional.of(new Section(this, mapping, keys));
            case Node.Empty empty -> Optional.of(new Section(this, new Node.Mapping(Map.of(), Map.of(), line), keys));
            default -> {
                error("expected a mapping with keys " + String.join(", ", keys) + ", got " + node.describe());
                yield Optional.empty();
            }
        };
    }

    /** The items of a list; an empty value reads as an empty list. */
    Optional<List<Value>> items(String expected) {
        return switch (node) {
            case Node.Sequence sequence -> {
                List<Value> items = new ArrayList<>(sequence.items().size());
                for (Node item : sequence.items()) {
                    items.add(new Value(item, Paths.index(path, items.size()), item.line(), problems, env));
                }
                yield Optional.of(items);
            }
            case Node.Empty empty -> Optional.of(List.of());
            default -> {
                error("expected " + expected + ", got " + node.describe());
                yield Optional.empty();
            }
        };
    }

    /** A mapping with free-form keys (names chosen by the user), in file order. */
    Optional<Map<String, Value>> entries(String expected) {
        return switch (node) {
            case Node.Mapping mapping -> {
                Map<String, Value> entries = new LinkedHashMap<>();
                mapping.entries().forEach((key, child) -> entries.put(key, child(mapping, key)));
                yield Optional.of(entries);
            }
            case Node.Empty empty -> Optional.of(Map.of());
            default -> {
                error("expected " + expected + ", got " + node.describe());
                yield Optional.empty();
            }
        };
    }

    /** Text values of a free-form mapping of strings (headers, query, metadata). */
    Map<String, String> strings(String expected) {
        Map<String, String> strings = new LinkedHashMap<>();
        entries(expected).orElse(Map.of())
                .forEach((key, value) -> value.text("a string").ifPresent(text -> strings.put(key, text)));
        return strings;
    }

    // A child is located at its key's line: for a nested block mapping that is where a reader looks.
    Value child(Node.Mapping mapping, String key) {
        return new Value(mapping.entries().get(key), Paths.key(path, key), mapping.keyLines().get(key), problems, env);
    }
}
