package dev.ballast.core.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Percentage text: a number with a percent sign ({@code 10%}, {@code 12.5%}) or plain {@code 0}. A
 * bare fraction such as {@code 0.5} is refused: it is unclear whether it means half or half a percent.
 */
public final class Percentages {

    private static final Pattern PERCENT = Pattern.compile("(\\d{1,3}(?:\\.\\d{1,4})?)\\s*%");
    public static final String EXPECTED = "a percentage like 10% or 50%";
    /** What a {@code *_percent} key takes: a number of percent, the sign optional. */
    public static final String NUMBER_EXPECTED = "a number of percent 0..100, like 20";
    private static final Pattern NUMBER = Pattern.compile("\\d{1,12}(\\.\\d{1,6})?");

    private Percentages() {
    }

    /**
     * The fraction the text names, {@code 0.1} for {@code 10%}.
     *
     * @throws IllegalArgumentException saying what was written and what is expected
     */
    public static double parseFraction(String text) {
        String trimmed = text.strip();
        if (trimmed.equals("0")) {
            return 0;
        }
        Matcher m = PERCENT.matcher(trimmed);
        if (!m.matches()) {
            String problem = trimmed.matches("\\d+(\\.\\d+)?") ? "'" + trimmed + "' has no % sign"
                    : "'" + trimmed + "' is not a percentage";
            throw new IllegalArgumentException(problem + " (expected: " + EXPECTED + ")");
        }
        return Double.parseDouble(m.group(1)) / 100.0;
    }

    /**
     * As {@link #parseFraction(String)}, at most {@code max}; {@code range} says what is allowed, e.g.
     * {@code 0% up to 99%}.
     */
    public static double parseFraction(String text, double max, String range) {
        double fraction = parseFraction(text);
        if (fraction > max) {
            throw new IllegalArgumentException("'" + text + "' out of range (expected: " + range + ")");
        }
        return fraction;
    }

    /**
     * A {@code *_percent} key: the number of percent, with or without the sign ({@code 20}, {@code 20%}),
     * 0..100.
     *
     * @throws IllegalArgumentException saying what was written and what is expected
     */
    public static double parsePercentNumber(String text) {
        String digits = text.endsWith("%") ? text.substring(0, text.length() - 1).strip() : text;
        if (!NUMBER.matcher(digits).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a number (expected: " + NUMBER_EXPECTED + ")");
        }
        double percent = Double.parseDouble(digits);
        if (percent > 100) {
            throw new IllegalArgumentException(text + " out of range (expected: 0..100)");
        }
        return percent;
    }

    /** As {@link #parsePercentNumber}, a whole number. */
    public static int parseWholePercent(String text) {
        double percent = parsePercentNumber(text);
        if (percent != Math.rint(percent)) {
            throw new IllegalArgumentException(percent + " is not a whole number (expected: 0..100)");
        }
        return (int) percent;
    }
}
