package dev.ballast.core.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Duration text: a whole number with a unit ({@code 250ms}, {@code 2s}, {@code 1m}, {@code 1h}), or {@code 0};
 * at most {@link #MAX_MILLIS}, so that no key's value overflows when code turns it into nanoseconds
 * or adds it to a clock reading.
 */
public final class Durations {

    /** A space may stand between number and unit, as sizes allow ({@code 1 s}, {@code 16 KiB}). */
    private static final Pattern DURATION = Pattern.compile("(\\d+) ?(ms|s|m|h)");
    public static final String EXPECTED = "a duration like 250ms, 2s, 1m or 1h";
    /** A year: longer than any timeout or interval means, and far from where nanoseconds overflow (292 years). */
    public static final long MAX_MILLIS = 8_760 * 3_600_000L;

    private Durations() {
    }

    /** @throws IllegalArgumentException saying what was written and what is expected */
    public static long parseMillis(String text) {
        String trimmed = text.strip();
        if (trimmed.equals("0")) {
            return 0;
        }
        Matcher m = DURATION.matcher(trimmed);
        if (!m.matches()) {
            String hint = trimmed.chars().allMatch(Character::isDigit) && !trimmed.isEmpty()
                    ? "'" + trimmed + "' has no unit" : "'" + trimmed + "' is not a duration";
            throw new IllegalArgumentException(hint + " (expected: " + EXPECTED + ")");
        }
        long unit = switch (m.group(2)) {
            case "ms" -> 1;
            case "s" -> 1_000;
            case "m" -> 60_000;
            default -> 3_600_000;
        };
        // Digits past what a year holds are too long, not "not a duration", however many there are.
        String digits = m.group(1).replaceFirst("^0+(?=.)", "");
        long amount = digits.length() > 12 ? Long.MAX_VALUE : Long.parseLong(digits);
        long millis = amount > MAX_MILLIS / unit ? Long.MAX_VALUE : amount * unit;
        if (millis > MAX_MILLIS) {
            throw new IllegalArgumentException("'" + trimmed + "' is too long (expected: at most 8760h, a year)");
        }
        return millis;
    }

    /**
     * {@link #parseMillis(String)}, at least {@code minMillis} (0 or 1: "may be zero" or "must be
     * positive", since no duration is negative).
     *
     * @throws IllegalArgumentException saying what was written and what is expected
     */
    public static long parseMillis(String text, long minMillis) {
        long millis = parseMillis(text);
        if (millis < minMillis) {
            throw new IllegalArgumentException("'" + text.strip() + "' is too short (expected: more than 0)");
        }
        return millis;
    }
}
