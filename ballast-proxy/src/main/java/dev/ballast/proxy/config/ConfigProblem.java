package dev.ballast.proxy.config;

import dev.ballast.core.internal.Printable;

import java.util.Objects;

/**
 * One thing wrong (or suspicious) in a configuration file.
 *
 * @param path    where: a dotted path into the document, like {@code upstreams.api.endpoints[1]}, or the
 *                file name for problems with the document as a whole
 * @param message what is wrong and what was expected
 * @param line    the 1-based line in the file, or 0 when unknown
 */
public record ConfigProblem(String path, String message, int line) {

    public ConfigProblem {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(message, "message");
    }

    /**
     * {@code upstreams.api.endpoints[1]: port 70000 out of range (expected: 1..65535) (line 12)}. Control
     * characters a file or an environment variable put in a quoted value are escaped ({@code \x1B}): the
     * line goes to a terminal or a log, which must not take them as commands or as a line of their own.
     */
    public String format() {
        String where = path.isEmpty() ? message : path + ": " + message;
        return Printable.controlsEscaped(line > 0 ? where + " (line " + line + ")" : where);
    }

    @Override
    public String toString() {
        return format();
    }
}
