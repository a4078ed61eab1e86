package dev.ballast.proxy.config;

import java.util.Optional;
import java.util.regex.Pattern;

/** Names the user gives listeners, upstreams and routes: they become metric labels and path segments. */
final class Names {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,62}");
    static final String EXPECTED = "letters, digits, '-' and '_', starting with a letter or digit, up to 63 characters";

    private Names() {
    }

    static boolean valid(String name) {
        return NAME.matcher(name).matches();
    }

    /** The name in {@code value}, if it is a valid one; otherwise the problem is recorded. */
    static Optional<String> read(Value value) {
        return value.word("a name of " + EXPECTED).filter(name -> {
            if (!valid(name)) {
                value.error("'" + name + "' is not a valid name (expected: " + EXPECTED + ")");
                return false;
            }
            return true;
        });
    }
}
