package dev.ballast.core.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Duration text: a whole number with a unit ({@code 250ms}, {@code 2s}, {@code 1m}, {@code 1h}), or {@code 0};
 * at most {@link #MAX_MILLIS}, so that no key's value overflows when code turns it into nanoseconds
 * or adds it to a clock reading. The few keys finer than a millisecond also take microseconds
 * ({@code 500us}, {@link #parseMicros}).
 */
public final class Durations {

    /** A space may stand between number and unit, as sizes allow ({@code 1 s}, {@code 16 KiB}). */
    private static final Pattern DURATION = Pattern.compile("(\\d+) ?(ms|s|m|h)");
    private static final Pattern FINE_DURATION = Pattern.compile("(\\d+) ?(us|\u00b5s|\u03bcs|ms|s|m|h)");
    public static final String EXPECTED = "a duration like 250ms, 2s, 1m or 1h";
    public static final String EXPECTED_FINE = "a duration like 500us, 2ms or 1s";
    /** A year: longer than any timeout or interval means, and far from where nanoseconds overflow (292 years). */
    public static final long MAX_MILLIS = 8_760 * 3_600_000L;
    private static final String A_YEAR = "8760h, a year";

    private Durations() {
    }

    /** @throws IllegalArgumentException saying what was written and what is expected */
    public static long parseMillis(String text) {
        return parse(text, DURATION, EXPECTED, 1, MAX_MILLIS, A_YEAR);
    }

    /**
     * Microseconds, from the units {@link #parseMillis} takes and {@code us} (or {@code µs}, with the
     * micro sign or the Greek mu, which keyboards give as often).
     *
     * @throws IllegalArgumentException saying what was written and what is expected
     */
    public static long parseMicros(String text) {
        return parseMicros(text, MAX_MILLIS * 1_000, A_YEAR);
    }

    /**
     * {@link #parseMicros(String)}, at most {@code maxMicros}, which {@code max} spells for the message
     * ({@code "1s"}).
     *
     * @throws IllegalArgumentException saying what was written and what is expected
     */
    public static long parseMicros(String text, long maxMicros, String max) {
        return parse(text, FINE_DURATION, EXPECTED_FINE, 1_000, Math.min(maxMicros, MAX_MILLIS * 1_000), max);
    }

    /**
     * The amount in units of 1/{@code perMilli} ms (1 for milliseconds, 1,000 for microseconds), at
     * most {@code max} of them, which {@code maxText} spells.
     */
    private static long parse(String text, Pattern pattern, String expected, long perMilli, long max, String maxText) {
        String trimmed = text.strip();
        if (trimmed.equals("0")) {
            return 0;
        }
        Matcher m = pattern.matcher(trimmed);
        if (!m.matches()) {
            String hint = WholeNumbers.isAsciiDigits(trimmed)
                    ? "'" + trimmed + "' has no unit" : "'" + trimmed + "' is not a duration";
            throw new IllegalArgumentException(hint + " (expected: " + expected + ")");
        }
        long unit = switch (m.group(2)) {
            case "us", "\u00b5s", "\u03bcs" -> 1; // micro sign, Greek mu
            case "ms" -> perMilli;
            case "s" -> 1_000 * perMilli;
            case "m" -> 60_000 * perMilli;
            default -> 3_600_000 * perMilli;
        };
        // Digits past what a year holds are too long, not "not a duration", however many there are.
        String digits = m.group(1).replaceFirst("^0+(?=.)", "");
        long amount = digits.length() > 16 ? Long.MAX_VALUE : Long.parseLong(digits);
        long value = amount > max / unit ? Long.MAX_VALUE : amount * unit;
        if (value > max) {
            throw new IllegalArgumentException("'" + trimmed + "' is too long (expected: at most " + maxText + ")");
        }
        return value;
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
