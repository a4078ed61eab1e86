package dev.ballast.proxy.admin;

import java.util.List;

/**
 * How one reload ended.
 *
 * @param applied    true when the new configuration is in force
 * @param trigger    what asked for it: {@code file}, {@code SIGHUP}, {@code admin}...
 * @param generation the configuration generation in force afterwards
 * @param errors     why it was rejected, in the words of {@code ballast validate}; empty when applied
 * @param warnings   {@code ballast validate}'s warnings for the new file
 * @param notes      what was not applied because it needs a restart (listeners, admin, limits...)
 */
public record ReloadOutcome(boolean applied, String trigger, int generation, List<String> errors,
                            List<String> warnings, List<String> notes) {

    public ReloadOutcome {
        errors = List.copyOf(errors);
        warnings = List.copyOf(warnings);
        notes = List.copyOf(notes);
    }

    public static ReloadOutcome rejected(String trigger, int generation, List<String> errors, List<String> warnings) {
        return new ReloadOutcome(false, trigger, generation, errors, warnings, List.of());
    }
}
