package dev.ballast.proxy.config;

import dev.ballast.core.config.Suggestions;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A mapping read as one config section with a fixed set of keys. Unknown keys are reported as errors
 * with a "did you mean" hint when they are built, never silently ignored; absent keys take the
 * default the caller passes, which is the documented one.
 */
final class Section {

    private final Value owner;
    private final Node.Mapping mapping;
    // Keys a misspelt key was taken for: already reported once, so not reported again as missing.
    private final Set<String> suggested = new HashSet<>();

    Section(Value owner, Node.Mapping mapping, List<String> keys) {
        this.owner = owner;
        this.mapping = mapping;
        for (String key : mapping.entries().keySet()) {
            if (!keys.contains(key)) {
                String hint = Suggestions.hint(key, keys);
                Suggestions.closest(key, keys).ifPresent(suggested::add);
                owner.problems().error(Paths.key(owner.path(), key), mapping.keyLines().get(key),
                        "unknown key"
                                + (hint.isEmpty() ? " (expected one of: " + String.join(", ", keys) + ")" : hint));
            }
        }
    }

    String path() {
        return owner.path();
    }

    int line() {
        return owner.line();
    }

    void error(String message) {
        owner.error(message);
    }

    Problems problems() {
        return owner.problems();
    }

    void warn(String message) {
        owner.warn(message);
    }

    /** True when a misspelt key was taken for {@code key} (and reported so): its absence says nothing more. */
    boolean misspelt(String key) {
        return suggested.contains(key);
    }

    /** True when the mapping has no key at all, known or not. */
    boolean isEmpty() {
        return mapping.entries().isEmpty();
    }

    boolean has(String key) {
        return mapping.entries().containsKey(key);
    }

    Optional<Value> get(String key) {
        return has(key) ? Optional.of(owner.child(mapping, key)) : Optional.empty();
    }

    /** The value of a key that must be there; its absence is reported on this section. */
    Optional<Value> required(String key, String expected) {
        if (!has(key) && !suggested.contains(key)) {
            owner.error("missing '" + key + "' (expected: " + expected + ")");
        }
        return get(key);
    }

    int integer(String key, int defaultValue, int min, int max) {
        return get(key).flatMap(value -> value.integer(min, max)).orElse(defaultValue);
    }

    long duration(String key, long defaultMillis, long minMillis) {
        return get(key).flatMap(value -> value.duration(minMillis)).orElse(defaultMillis);
    }

    long size(String key, long defaultBytes, long min, long max, String expected) {
        return get(key).flatMap(value -> value.size(min, max, expected)).orElse(defaultBytes);
    }
}
