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
}
