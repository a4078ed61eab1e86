package dev.ballast.client.internal;

import dev.ballast.core.config.Suggestions;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A mapping read as one config section with a fixed set of keys, as the proxy's {@code Section}:
 * unknown keys are errors with a "did you mean" hint, never silently ignored; absent keys take the
 * default the caller passes.
 */
final class Section {

    private final Value owner;
    private final Map<String, Object> entries = new LinkedHashMap<>();
    // Keys a misspelt key was taken for: already reported once, so not reported again as missing.
    private final Set<String> suggested = new HashSet<>();

    Section(Value owner, Map<?, ?> mapping, List<String> keys) {
        this.owner = owner;
        mapping.forEach((key, value) -> entries.put(String.valueOf(key), value));
        for (String key : entries.keySet()) {
            if (!keys.contains(key)) {
                String hint = Suggestions.hint(key, keys);
                Suggestions.closest(key, keys).ifPresent(suggested::add);
                owner.problems().error(Paths.key(owner.path(), key), "unknown key"
                        + (hint.isEmpty() ? " (expected one of: " + String.join(", ", keys) + ")" : hint));
            }
        }
    }

    String path() {
        return owner.path();
    }

    void error(String message) {
        owner.error(message);
    }

    void warn(String message) {
        owner.warn(message);
    }

    boolean has(String key) {
        return entries.containsKey(key);
    }

    /** True when a misspelt key was taken for {@code key} (and reported so): its absence says nothing more. */
    boolean misspelt(String key) {
        return suggested.contains(key);
    }

    Optional<Value> get(String key) {
        return has(key) ? Optional.of(owner.child(entries.get(key), key)) : Optional.empty();
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
}
