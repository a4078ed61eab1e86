package dev.ballast.proxy.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Collects every error and warning of one load, so a user sees all of them at once, not one per run. */
final class Problems {

    // Line 0 (unknown, usually "missing at the top level") sorts first; otherwise document order.
    private static final Comparator<ConfigProblem> BY_LINE = Comparator.comparingInt(ConfigProblem::line);

    private final String sourceName;
    private final List<ConfigProblem> errors = new ArrayList<>();
    private final List<ConfigProblem> warnings = new ArrayList<>();

    /** @param sourceName names the document in problems about it as a whole (the root has no path) */
    Problems(String sourceName) {
        this.sourceName = sourceName;
    }

    void error(String path, int line, String message) {
        errors.add(new ConfigProblem(path.isEmpty() ? sourceName : path, message, line));
    }

    void warn(String path, int line, String message) {
        warnings.add(new ConfigProblem(path.isEmpty() ? sourceName : path, message, line));
    }

    int errorCount() {
        return errors.size();
    }

    ConfigResult result(ProxyConfig config) {
        List<ConfigProblem> sortedErrors = errors.stream().sorted(BY_LINE).toList();
        List<ConfigProblem> sortedWarnings = warnings.stream().sorted(BY_LINE).toList();
        return new ConfigResult(sortedErrors.isEmpty() ? config : null, sortedErrors, sortedWarnings);
    }
}
