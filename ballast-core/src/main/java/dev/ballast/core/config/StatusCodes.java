package dev.ballast.core.config;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * A set of final HTTP status codes, 200..599, written as ranges and single codes: {@code 200-399},
 * {@code 200, 204}, or a YAML list of either; what a health check expects. A 1xx code is refused: it
 * is an interim answer, which an HTTP exchange goes on past to the final one, so it is never the
 * status a check is judged on. A code is ASCII digits ({@link WholeNumbers}). Immutable; {@link #contains}
 * is one array read.
 */
public final class StatusCodes {

    /** What a status code set looks like, for "expected: ..." messages. */
    public static final String EXPECTED = "status codes 200..599 as a range like 200-399, or codes and ranges"
            + " separated by commas";
    /** The lowest final status: the 1xx codes below are interim. */
    private static final int MIN = 200;
    private static final int INTERIM = 100;
    private static final int MAX = 599;

    private final boolean[] member = new boolean[MAX + 1];
    private final BitSet codes;

    private StatusCodes(BitSet codes) {
        this.codes = codes;
        codes.stream().forEach(code -> member[code] = true);
    }

    /** {@code 200-399}: success and redirects, the default of {@code expected_status}. */
    public static StatusCodes successOrRedirect() {
        return range(200, 399);
    }

    /** Every code from {@code from} to {@code to}, both included. */
    public static StatusCodes range(int from, int to) {
        BitSet codes = new BitSet();
        codes.set(check(from), check(to) + 1);
        return new StatusCodes(codes);
    }

    /**
     * Parses comma-separated codes and ranges, e.g. {@code "200-299, 304"}.
     *
     * @throws IllegalArgumentException naming the part that is wrong and what is expected
     */
    public static StatusCodes parse(List<String> parts) {
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
                if (from < MIN) {
                    throw new IllegalArgumentException("'" + text + "' " + (dash < 0
                            ? "is a 1xx code, which is interim: a check waits past it"
                            : "has 1xx codes, which are interim: a check waits past them")
                            + " for the final status (expected: " + MIN + ".." + MAX + ")");
                }
                codes.set(from, to + 1);
            }
        }
        if (codes.isEmpty()) {
            throw new IllegalArgumentException("no status codes (expected: " + EXPECTED + ")");
        }
        return new StatusCodes(codes);
    }

    private static int code(String digits, String item) {
        if (!WholeNumbers.isAsciiDigits(digits)) { // not Integer.parseInt, which read ٢٠٠-٣٩٩ as 200-399
            throw new IllegalArgumentException("'" + item + "' is not a status code or range (expected: "
                    + EXPECTED + ")");
        }
        long code = WholeNumbers.parse(digits); // -1 past a long: out of range as any other too large
        if (code < INTERIM || code > MAX) {
            throw new IllegalArgumentException("status " + (code < 0 ? digits : String.valueOf(code))
                    + " out of range (expected: " + MIN + ".." + MAX + ")");
        }
        return (int) code; // a 1xx is refused once the range is known to be one
    }

    private static int check(int code) {
        if (code < MIN || code > MAX) {
            throw new IllegalArgumentException("status " + code + " out of range (expected: " + MIN + ".." + MAX + ")");
        }
        return code;
    }

    /** The lowest code in the set. */
    public int lowest() {
        return codes.nextSetBit(0);
    }

    /** The highest code in the set. */
    public int highest() {
        return codes.length() - 1;
    }

    /** True when the set is one range without gaps, {@code lowest()..highest()}. */
    public boolean isOneRange() {
        return codes.cardinality() == highest() - lowest() + 1;
    }

    /** Whether {@code status} is in the set; false for anything outside 200..599. */
    public boolean contains(int status) {
        return status >= MIN && status <= MAX && member[status];
    }

    /** The canonical text, e.g. {@code 200-299, 304}. */
    @Override
    public String toString() {
        List<String> ranges = new ArrayList<>();
        for (int from = codes.nextSetBit(0); from >= 0; ) {
            int end = codes.nextClearBit(from);
            ranges.add(end - 1 == from ? Integer.toString(from) : from + "-" + (end - 1));
            from = codes.nextSetBit(end);
        }
        return String.join(", ", ranges);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof StatusCodes that && codes.equals(that.codes);
    }

    @Override
    public int hashCode() {
        return codes.hashCode();
    }
}
