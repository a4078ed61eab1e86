package dev.ballast.core.config;

import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Expands {@code ${NAME}} and {@code ${NAME:-default}} from the environment inside one scalar.
 * Expansion happens after YAML parsing, so a variable's value is always plain text and can never add
 * keys or structure to the document. {@code $${} writes a literal {@code ${}. A default may hold
 * balanced braces (a regular expression's {@code {1,3}}): the reference ends at the brace that closes it.
 */
public final class Placeholders {

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final String EXPECTED = "(expected: ${NAME} or ${NAME:-default})";

    private Placeholders() {
    }

    /**
     * @param env looks a variable up; null when it is not set
     * @throws IllegalArgumentException naming the unset variable or the malformed reference
     */
    public static String expand(String text, Function<String, String> env) {
        if (text.indexOf('$') < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            if (text.startsWith("$${", i)) {
                out.append("${");
                i += 3;
            } else if (text.startsWith("${", i)) {
                int close = closingBrace(text, i + 2);
                if (close < 0) {
                    throw new IllegalArgumentException("unclosed '${' " + EXPECTED
                            + (text.indexOf(":-", i) >= 0 ? " (a default's braces must balance)" : ""));
                }
                out.append(resolve(text.substring(i + 2, close), env));
                i = close + 1;
            } else {
                out.append(text.charAt(i++));
            }
        }
        return out.toString();
    }

    /** Where the reference whose text starts at {@code from} ends: the '}' that balances its '${'; -1 if none. */
    private static int closingBrace(String text, int from) {
        int depth = 0;
        for (int j = from; j < text.length(); j++) {
            char c = text.charAt(j);
            if (c == '{') {
                depth++;
            } else if (c == '}') {
                if (depth == 0) {
                    return j;
                }
                depth--;
            }
        }
        return -1;
    }

    private static String resolve(String reference, Function<String, String> env) {
        int separator = reference.indexOf(":-");
        String name = separator < 0 ? reference : reference.substring(0, separator);
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("'${" + reference + "}' is not a variable reference " + EXPECTED);
        }
        if (separator >= 0 && reference.indexOf("${", separator) >= 0) {
            // A default is text: a reference inside it would be taken literally, not expanded.
            throw new IllegalArgumentException("'${" + reference + "}': a default cannot hold another '${'"
                    + " (expected: ${NAME:-text})");
        }
        String value = env.apply(name);
        if (separator >= 0) {
            // Shell semantics of ':-': the default also replaces a variable set to the empty string.
            return value == null || value.isEmpty() ? reference.substring(separator + 2) : value;
        }
        if (value == null) {
            throw new IllegalArgumentException("environment variable " + name
                    + " is not set (set it, or give a default: ${" + name + ":-value})");
        }
        return value;
    }
}
