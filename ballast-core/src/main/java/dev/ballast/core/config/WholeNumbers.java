package dev.ballast.core.config;

/**
 * Whole numbers as a config file or a header writes them: ASCII digits {@code 0}-{@code 9} only.
 * {@link Character#isDigit}, {@link Integer#parseInt} and {@link Long#parseLong} take the decimal digits
 * of every script, so to them Arabic-Indic {@code ٥٠٣} is 503 and {@code ٢٠٠-٣٩٩} a status range; and
 * the JDK's parsers take a sign too. A reader that does not match a number against {@code [0-9]} first
 * reads it with these. Allocation-free: {@link #parse} also reads a header per request.
 */
public final class WholeNumbers {

    private WholeNumbers() {
    }

    /** Whether {@code text} is one or more ASCII digits and nothing else: no sign, no space, no other script's. */
    public static boolean isAsciiDigits(CharSequence text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return !text.isEmpty();
    }

    /**
     * The value of {@code text} when it is {@linkplain #isAsciiDigits ASCII digits} a long holds (leading
     * zeros allowed), else -1: a caller refuses or ignores it as not a number, or past the range it takes.
     */
    public static long parse(CharSequence text) {
        if (!isAsciiDigits(text)) {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < text.length(); i++) {
            int digit = text.charAt(i) - '0';
            if (value > (Long.MAX_VALUE - digit) / 10) {
                return -1; // past a long
            }
            value = value * 10 + digit;
        }
        return value;
    }
}
