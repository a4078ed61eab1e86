package dev.ballast.proxy.config;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Loads a YAML configuration file into a validated {@link ProxyConfig}: read, parse with line numbers,
 * expand {@code ${VAR}} and {@code ${VAR:-default}} from the environment, read every section, check
 * what spans sections. Reports all problems at once, each with its path and line; never throws for
 * bad input. Stateless and thread-safe: a reload calls it again and swaps in the new config only if
 * the result is {@link ConfigResult#ok()}.
 */
public final class ConfigLoader {

    private ConfigLoader() {
    }

    /** Reads and validates {@code file}, taking variables from the process environment. */
    public static ConfigResult load(Path file) {
        String yaml;
        try {
            yaml = ConfigFile.read(file);
        } catch (IOException e) {
            Problems problems = new Problems(file.toString());
            problems.error(file.toString(), 0, readFailure(e));
            return problems.result(null);
        }
        return parse(yaml, file.toString());
    }

    /** Validates YAML text, taking variables from the process environment. */
    public static ConfigResult parse(String yaml, String sourceName) {
        return parse(yaml, sourceName, System::getenv);
    }

    /**
     * Validates YAML text.
     *
     * @param sourceName names the text in problems about the document as a whole (usually the file name)
     * @param env        looks up a variable for {@code ${NAME}}; returns null when it is not set
     */
    public static ConfigResult parse(String yaml, String sourceName, Function<String, String> env) {
        Problems problems = new Problems(sourceName);
        Node root = YamlTree.read(yaml, sourceName, problems);
        if (root == null) {
            return problems.result(null);
        }
        ProxyConfig config = ConfigReader.read(new Value(root, "", 0, problems, env));
        return problems.result(config);
    }

    /** Why a file could not be read, in words: "cannot read: no such file". */
    public static String readFailure(IOException e) {
        return ConfigFile.failure(e);
    }
}
