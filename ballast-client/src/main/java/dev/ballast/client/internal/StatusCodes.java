package dev.ballast.client.internal;

import java.util.BitSet;
import java.util.List;

/**
 * {@code expected_status} as the proxy reads it: ranges and single codes, {@code 200-399}, {@code 200,
 * 204}, or a YAML list of either, every code in 100..599.
 */
final class StatusCodes {

    static final String EXPECTED = "status codes 100..599 as a range like 200-399, or codes and ranges"
            + " separated by commas";
    private static final int MIN = 100;
    private static final int MAX = 599;

    private StatusCodes() {
    }

    /**
     * The codes of comma-separated codes and ranges, e.g. {@code "200-299, 304"}.
     *
     * @throws IllegalArgumentException naming the part that is wrong and what is expected
     */
    static BitSet parse(List<String> parts) {
        BitSet codes = new BitSet();
        for (String part : parts) {
            for (String item : part.split(",")) {
                String text = item.strip();
                int dash = text.indexOf('-');
                int from = code(dash < 0 ? text : text.substring(0, dash).strip(), text);
                int to = dash < 0 ? from : code(text.substring(dash + 1).strip(), text);
                if (from > to) {
                    throw new IllegalArgumentException("'" + text
                            + "' is an empty range (expected: the lower code first, like 200-399)");
                }
                codes.set(from, to + 1);
            }
        }
        if (codes.isEmpty()) {
            throw new IllegalArgumentException("no status codes (expected: " + EXPECTED + ")");
        }
        return codes;
    }

    private static int code(String digits, String item) {
        int code;
        try {
            code = Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + item + "' is not a status code or range (expected: "
                    + EXPECTED + ")");
        }
        if (code < MIN || code > MAX) {
            throw new IllegalArgumentException("status " + code + " out of range (expected: " + MIN + ".." + MAX + ")");
        }
        return code;
    }
}
