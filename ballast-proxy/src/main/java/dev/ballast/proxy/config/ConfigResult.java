package dev.ballast.proxy.config;

import java.util.List;

/**
 * The outcome of loading a configuration: a valid config (perhaps with warnings), or every error found.
 * Never both: {@code config} is null exactly when {@code errors} is not empty.
 *
 * @param config   the validated configuration, or null when there are errors
 * @param errors   problems that make the file unusable, in document order
 * @param warnings problems worth reporting that do not stop the proxy (a shadowed route, an upstream
 *                 without endpoints), in document order
 */
public record ConfigResult(ProxyConfig config, List<ConfigProblem> errors, List<ConfigProblem> warnings) {

    public ConfigResult {
        errors = List.copyOf(errors);
        warnings = List.copyOf(warnings);
        if ((config == null) == errors.isEmpty()) {
            throw new IllegalArgumentException("a result has either a config or errors, not both or neither");
        }
    }

    /** True when the configuration is valid and {@link #config()} can be used. */
    public boolean ok() {
        return errors.isEmpty();
    }
}
