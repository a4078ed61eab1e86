package dev.ballast.proxy.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Size text: plain bytes ({@code 16384}) or a whole number with a binary unit ({@code 16KiB},
 * {@code 1MiB}, {@code 2GiB}). Decimal units (KB, MB) are refused rather than guessed at.
 */
final class ByteSizes {

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB)?");
    static final String EXPECTED = "bytes, or a size like 16KiB, 1MiB or 1GiB";

    private ByteSizes() {
    }

    /** @throws IllegalArgumentException saying what was written and what is expected */
    static long parseBytes(String text) {
        String trimmed = text.strip();
        Matcher m = SIZE.matcher(trimmed);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + trimmed + "' is not a size (expected: " + EXPECTED + ")");
        }
        if (m.group(1).length() > 18) { // past what a long holds, whatever the unit
            throw new IllegalArgumentException("'" + trimmed + "' is too large");
        }
        long amount = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "B" : m.group(2);
        int shift = switch (unit) {
            case "KiB" -> 10;
            case "MiB" -> 20;
            case "GiB" -> 30;
            default -> 0;
        };
        if (amount > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("'" + trimmed + "' is too large");
        }
        return amount << shift;
    }
}
