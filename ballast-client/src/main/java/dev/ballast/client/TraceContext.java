package dev.ballast.client;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A W3C Trace Context position (https://www.w3.org/TR/trace-context/): the trace a call belongs to
 * and the id of the span that makes it. Every call sends it as {@code traceparent} (and
 * {@code tracestate} when there is one) and hands it back on the response and on failures, so the
 * caller can log or link it. Immutable; equal when all four parts are.
 */
public final class TraceContext {

    public static final String TRACEPARENT = "traceparent";
    public static final String TRACESTATE = "tracestate";

    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final String traceId;
    private final String spanId;
    private final boolean sampled;
    private final String traceState;

    /** Trusted: ids already checked, or made here. */
    private TraceContext(String traceId, String spanId, boolean sampled, String traceState) {
        this.traceId = traceId;
        this.spanId = spanId;
        this.sampled = sampled;
        this.traceState = traceState;
    }

    /**
     * A position from its parts.
     *
     * @param traceId    32 lowercase hex digits, not all zero
     * @param spanId     16 lowercase hex digits, not all zero (the {@code parent-id} field on the wire)
     * @param sampled    the {@code sampled} trace flag
     * @param traceState the {@code tracestate} header to pass on unchanged, or the empty string
     * @throws IllegalArgumentException for a malformed id, or a trace state with a character no header
     *                                  value may hold (a control character)
     */
    public static TraceContext of(String traceId, String spanId, boolean sampled, String traceState) {
        Objects.requireNonNull(traceState, "traceState");
        if (!isHeaderText(traceState)) {
            throw new IllegalArgumentException("trace state: a character no header carries, a control or a"
                    + " non-ASCII one (expected: printable ASCII, as a tracestate header holds)");
        }
        if (!isId(traceId, 32)) {
            throw new IllegalArgumentException("trace id: '" + traceId + "' (expected: 32 lowercase hex digits, not all zero)");
        }
        if (!isId(spanId, 16)) {
            throw new IllegalArgumentException("span id: '" + spanId + "' (expected: 16 lowercase hex digits, not all zero)");
        }
        return new TraceContext(traceId, spanId, sampled, traceState);
    }

    /** A new trace, sampled, with random ids. */
    public static TraceContext newRoot() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return new TraceContext(hex(nonZero(random), random.nextLong()), hex(nonZero(random)), true, "");
    }

    /** The same trace with a new span id: the position of an outgoing call made from this one. */
    public TraceContext child() {
        return new TraceContext(traceId, hex(nonZero(ThreadLocalRandom.current())), sampled, traceState);
    }

    /**
     * Parses a {@code traceparent} header (and its {@code tracestate}, which may be null). Versions
     * above 00 are read as 00, as the specification asks; anything malformed gives empty, so the
     * caller starts a new trace. A {@code tracestate} that no header could carry on (a control
     * character) is dropped: it must not fail the calls made in this trace.
     */
    public static Optional<TraceContext> parse(String traceparent, String tracestate) {
        if (traceparent == null) {
            return Optional.empty();
        }
        String text = traceparent.strip();
        if (text.length() < 55 || text.charAt(2) != '-' || text.charAt(35) != '-' || text.charAt(52) != '-') {
            return Optional.empty();
        }
        String version = text.substring(0, 2);
        if (!isHex(version) || version.equals("ff") || (version.equals("00") && text.length() != 55)
                || (text.length() > 55 && text.charAt(55) != '-')) {
            return Optional.empty();
        }
        String traceId = text.substring(3, 35);
        String spanId = text.substring(36, 52);
        String flags = text.substring(53, 55);
        if (!isId(traceId, 32) || !isId(spanId, 16) || !isHex(flags)) {
            return Optional.empty();
        }
        boolean sampled = (Integer.parseInt(flags, 16) & 1) == 1;
        String state = tracestate == null ? "" : tracestate.strip();
        return Optional.of(new TraceContext(traceId, spanId, sampled, isHeaderText(state) ? state : ""));
    }

    /** Printable ASCII and tab: what a {@code tracestate} may hold (W3C), and a header value may carry. */
    private static boolean isHeaderText(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ((c < 0x20 && c != '\t') || c > 0x7e) {
                return false;
            }
        }
        return true;
    }

    /** 32 lowercase hex digits. */
    public String traceId() {
        return traceId;
    }

    /** 16 lowercase hex digits: the {@code parent-id} the callee sees. */
    public String spanId() {
        return spanId;
    }

    public boolean sampled() {
        return sampled;
    }

    /** The {@code tracestate} to pass on, or the empty string. */
    public String traceState() {
        return traceState;
    }

    /** The {@code traceparent} header value: {@code 00-traceId-spanId-flags}. */
    public String traceparent() {
        return "00-" + traceId + "-" + spanId + (sampled ? "-01" : "-00");
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TraceContext that && sampled == that.sampled && traceId.equals(that.traceId)
                && spanId.equals(that.spanId) && traceState.equals(that.traceState);
    }

    @Override
    public int hashCode() {
        return Objects.hash(traceId, spanId, sampled, traceState);
    }

    @Override
    public String toString() {
        return traceparent();
    }

    private static long nonZero(ThreadLocalRandom random) {
        long value;
        do {
            value = random.nextLong();
        } while (value == 0);
        return value;
    }

    private static String hex(long... values) {
        byte[] digits = new byte[values.length * 16];
        int at = 0;
        for (long value : values) {
            for (int shift = 60; shift >= 0; shift -= 4) {
                digits[at++] = HEX[(int) (value >>> shift) & 0xF];
            }
        }
        return new String(digits, java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static boolean isId(String id, int length) {
        if (id == null || id.length() != length || !isHex(id)) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (id.charAt(i) != '0') {
                return true;
            }
        }
        return false;
    }

    private static boolean isHex(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }
}
