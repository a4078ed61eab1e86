package dev.ballast.client.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * Every error and warning of one read, each as {@code path: message}, so a caller sees all of them at
 * once, not one per attempt. The proxy's {@code Problems}, without line numbers: a generic map does
 * not know where its values came from.
 */
final class Problems {

    private final List<String> errors = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();

    void error(String path, String message) {
        errors.add(path + ": " + message);
    }

    void warn(String path, String message) {
        warnings.add(path + ": " + message);
    }

    int errorCount() {
        return errors.size();
    }

    List<String> errors() {
        return List.copyOf(errors);
    }

    List<String> warnings() {
        return List.copyOf(warnings);
    }
}
