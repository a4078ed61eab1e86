package dev.ballast.proxy.accesslog;

import dev.ballast.core.state.EndpointState;
import dev.ballast.proxy.http.CutShort;
import dev.ballast.proxy.http.RequestRecord;
import dev.ballast.proxy.route.Route;
import io.netty.util.AsciiString;

import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;

/**
 * Formats one access log line: a JSON object on one line, fields always in the same order, null for
 * what a request did not get to (no route, no endpoint). The UTF-8 bytes go straight into a chunk, with
 * no string in between (issue 5): an instance belongs to one thread and keeps the formatted date of the
 * last second it saw, so a line allocates nothing.
 *
 * <p>Most of a line's text repeats: the route, upstream and endpoint names are the config's own strings,
 * the client address is one string per connection, the method one per method. Their JSON bytes are kept
 * in a small cache keyed by identity and copied, not escaped again; only the path and the user agent
 * (new strings per request) are escaped per line, and the trace id, hex by construction, is copied.
 */
final class AccessLogLine {

    private static final DateTimeFormatter SECOND = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss");
    private static final byte[] HEX = ascii("0123456789abcdef");

    private static final byte[] TIME = ascii("{\"time\":\"");
    private static final byte[] CLIENT = ascii("\",\"client\":");
    private static final byte[] METHOD = ascii(",\"method\":");
    private static final byte[] PATH = ascii(",\"path\":");
    private static final byte[] STATUS = ascii(",\"status\":");
    private static final byte[] BYTES_IN = ascii(",\"bytes_in\":");
    private static final byte[] BYTES_OUT = ascii(",\"bytes_out\":");
    private static final byte[] CUT_SHORT = ascii(",\"cut_short\":");
    /** Each {@link CutShort}'s value as a JSON string, by ordinal. */
    private static final byte[][] CUT_SHORT_VALUES = Arrays.stream(CutShort.values())
            .map(why -> ascii('"' + why.label() + '"')).toArray(byte[][]::new);
    private static final int CUT_SHORT_WIDEST = Arrays.stream(CUT_SHORT_VALUES).mapToInt(v -> v.length).max().orElse(0);
    private static final byte[] DURATION = ascii(",\"duration_ms\":");
    private static final byte[] UPSTREAM = ascii(",\"upstream\":");
    private static final byte[] ENDPOINT = ascii(",\"endpoint\":");
    private static final byte[] ATTEMPTS = ascii(",\"attempts\":");
    private static final byte[] ROUTE = ascii(",\"route\":");
    private static final byte[] TRACE = ascii(",\"trace_id\":");
    private static final byte[] SPAN = ascii(",\"span_id\":");
    private static final byte[] PARENT = ascii(",\"parent_id\":");
    private static final byte[] REQUEST_ID = ascii(",\"request_id\":");
    private static final byte[] USER_AGENT = ascii(",\"user_agent\":");
    private static final byte[] END = ascii("}\n");
    private static final byte[] NULL = ascii("null");
    private static final byte[] MIN_LONG = ascii(Long.toString(Long.MIN_VALUE));

    /** W3C traceparent {@code 00-<32 hex trace id>-<16 hex parent id>-...}: the ids are always at these offsets. */
    private static final int TRACE_ID_START = 3;
    private static final int TRACE_ID_LENGTH = 32;
    private static final int PARENT_ID_START = 36;
    private static final int PARENT_ID_LENGTH = 16;

    /**
     * Everything but the strings' characters, at its widest: names and punctuation, the time (the date
     * pattern prints at most 25 characters, then ".mmmZ"), five numbers of up to 20 characters, the
     * widest {@code cut_short} value, and two quotes or a null for each of the eleven strings.
     */
    private static final int FIXED = TIME.length + CLIENT.length + METHOD.length + PATH.length + STATUS.length
            + BYTES_IN.length + BYTES_OUT.length + CUT_SHORT.length + DURATION.length + UPSTREAM.length
            + ENDPOINT.length + ATTEMPTS.length + ROUTE.length + TRACE.length + SPAN.length + PARENT.length
            + REQUEST_ID.length + USER_AGENT.length + END.length
            + 32 + 5 * 20 + CUT_SHORT_WIDEST + 11 * NULL.length;
    /** A char takes at most 6 bytes: a control character's escape; UTF-8 takes up to 3 (4 for a surrogate pair). */
    private static final int MAX_BYTES_PER_CHAR = 6;

    /** Slots of the identity cache: a power of two, room for a busy loop's connections and names. */
    private static final int CACHED = 256;

    private final String[] cachedStrings = new String[CACHED];
    private final byte[][] cachedJson = new byte[CACHED][];
    private long second = Long.MIN_VALUE;
    private byte[] secondText;
    /** The chunk being written and the position in it: fields, so the helpers stay one-argument. */
    private byte[] out;
    private int at;

    /** The most bytes the line for {@code request} can take (exact lengths would mean escaping twice). */
    static int maxLength(RequestRecord request) {
        Route route = request.route();
        EndpointState endpoint = request.endpoint();
        int chars = length(request.client()) + length(request.method()) + length(request.uri())
                + (route == null ? 0 : route.upstream().name().length() + route.name().length())
                + (endpoint == null ? 0 : endpoint.address().length())
                + TRACE_ID_LENGTH + 2 * PARENT_ID_LENGTH + Math.max(TRACE_ID_LENGTH, length(request.requestId()))
                + length(request.userAgent());
        return FIXED + MAX_BYTES_PER_CHAR * chars;
    }

    /**
     * Appends the line for {@code request}, ending in a newline, to {@code chunk}, which must have
     * {@link #maxLength} bytes of room; {@code nowMillis} is when the request ended.
     */
    void write(RequestRecord request, long nowMillis, Chunk chunk) {
        out = chunk.bytes;
        at = chunk.length;
        raw(TIME);
        time(nowMillis - request.durationNanos() / 1_000_000);
        raw(CLIENT);
        repeated(request.client());
        raw(METHOD);
        repeated(request.method());
        raw(PATH);
        bytes(request.uri());
        raw(STATUS);
        number(request.status());
        raw(BYTES_IN);
        number(request.bytesIn());
        raw(BYTES_OUT);
        number(request.bytesOut());
        raw(CUT_SHORT);
        CutShort cutShort = request.cutShort();
        raw(cutShort == null ? NULL : CUT_SHORT_VALUES[cutShort.ordinal()]);
        raw(DURATION);
        millis(request.durationNanos());
        Route route = request.route();
        raw(UPSTREAM);
        repeated(route == null ? null : route.upstream().name());
        EndpointState endpoint = request.endpoint();
        raw(ENDPOINT);
        repeated(endpoint == null ? null : endpoint.address());
        raw(ATTEMPTS);
        number(request.attempts());
        raw(ROUTE);
        repeated(route == null ? null : route.name());
        AsciiString sent = request.traceparent();
        String incoming = request.incomingTraceparent();
        raw(TRACE);
        if (sent != null) {
            hex(sent.array(), sent.arrayOffset() + TRACE_ID_START, TRACE_ID_LENGTH);
        } else {
            hex(incoming, TRACE_ID_START, TRACE_ID_LENGTH);
        }
        raw(SPAN);
        if (sent != null) {
            hex(sent.array(), sent.arrayOffset() + PARENT_ID_START, PARENT_ID_LENGTH);
        } else {
            raw(NULL);
        }
        raw(PARENT);
        hex(incoming, PARENT_ID_START, PARENT_ID_LENGTH);
        raw(REQUEST_ID);
        String requestId = request.requestId();
        if (requestId == null && sent != null) {
            hex(sent.array(), sent.arrayOffset() + TRACE_ID_START, TRACE_ID_LENGTH); // what went up as the id
        } else {
            bytes(requestId);
        }
        raw(USER_AGENT);
        bytes(request.userAgent());
        raw(END);
        chunk.length = at;
        chunk.lines++;
    }

    /** ISO 8601 in UTC with milliseconds: {@code 2025-01-31T12:34:56.789Z}. */
    private void time(long epochMillis) {
        long second = Math.floorDiv(epochMillis, 1000);
        if (second != this.second) {
            this.second = second;
            secondText = ascii(SECOND.format(LocalDateTime.ofEpochSecond(second, 0, ZoneOffset.UTC)));
        }
        raw(secondText);
        out[at++] = '.';
        threeDigits((int) Math.floorMod(epochMillis, 1000));
        out[at++] = 'Z';
    }

    /** Milliseconds with three decimals, without going through a double's text form. */
    private void millis(long nanos) {
        long micros = Math.max(0, nanos) / 1_000;
        number(micros / 1_000);
        out[at++] = '.';
        threeDigits((int) (micros % 1_000));
    }

    private void threeDigits(int value) {
        out[at++] = (byte) ('0' + value / 100);
        out[at++] = (byte) ('0' + value / 10 % 10);
        out[at++] = (byte) ('0' + value % 10);
    }

    /** Decimal, as {@link Long#toString(long)} writes it. */
    private void number(long value) {
        if (value == Long.MIN_VALUE) {
            raw(MIN_LONG); // the one value without a positive counterpart
            return;
        }
        if (value < 0) {
            out[at++] = '-';
            value = -value;
        }
        int digits = 1;
        for (long rest = value / 10; rest != 0; rest /= 10) {
            digits++;
        }
        at += digits;
        int i = at;
        do {
            out[--i] = (byte) ('0' + value % 10);
            value /= 10;
        } while (value != 0);
    }

    /**
     * Hex digits of a {@code traceparent} as a JSON string: the proxy wrote the one it sent, and only
     * ever keeps a valid incoming one, so the characters are lower-case hex, copied with nothing to
     * escape.
     */
    private void hex(byte[] source, int from, int length) {
        out[at++] = '"';
        System.arraycopy(source, from, out, at, length);
        at += length;
        out[at++] = '"';
    }

    /** As {@link #hex(byte[], int, int)}, from a header's text; null when there is none. */
    private void hex(String source, int from, int length) {
        if (source == null) {
            raw(NULL);
            return;
        }
        out[at++] = '"';
        for (int i = from; i < from + length; i++) {
            out[at++] = (byte) source.charAt(i);
        }
        out[at++] = '"';
    }

    /** A string that is likely to come again as the same object: its JSON bytes from the cache. */
    private void repeated(String value) {
        if (value == null) {
            raw(NULL);
            return;
        }
        int slot = System.identityHashCode(value) & (CACHED - 1);
        if (cachedStrings[slot] == value) {
            raw(cachedJson[slot]);
            return;
        }
        int start = at;
        string(value);
        cachedJson[slot] = Arrays.copyOfRange(out, start, at);
        cachedStrings[slot] = value;
    }

    private void string(String value) {
        if (value == null) {
            raw(NULL);
        } else {
            string(value, 0, value.length());
        }
    }

    /**
     * A JSON string (RFC 8259 escaping) in UTF-8, byte for byte what {@code String.getBytes(UTF_8)} made
     * of the escaped text before: a lone surrogate becomes {@code ?}.
     */
    private void string(String value, int from, int to) {
        byte[] out = this.out;
        int at = this.at;
        out[at++] = '"';
        for (int i = from; i < to; i++) {
            char c = value.charAt(i);
            if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
                out[at++] = (byte) c;
                continue;
            }
            if (c < 0x80) {
                at = ascii(out, at, c);
            } else if (c < 0x800) {
                out[at++] = (byte) (0xc0 | c >> 6);
                out[at++] = (byte) (0x80 | c & 0x3f);
            } else if (!Character.isSurrogate(c)) {
                out[at++] = (byte) (0xe0 | c >> 12);
                out[at++] = (byte) (0x80 | c >> 6 & 0x3f);
                out[at++] = (byte) (0x80 | c & 0x3f);
            } else if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(value.charAt(i + 1))) {
                int code = Character.toCodePoint(c, value.charAt(++i));
                out[at++] = (byte) (0xf0 | code >> 18);
                out[at++] = (byte) (0x80 | code >> 12 & 0x3f);
                out[at++] = (byte) (0x80 | code >> 6 & 0x3f);
                out[at++] = (byte) (0x80 | code & 0x3f);
            } else {
                out[at++] = '?';
            }
        }
        out[at++] = '"';
        this.at = at;
    }

    /**
     * A JSON string of text as the client sent it: the decoder made one char of each byte, so a char of
     * 0x80..0xFF is a byte, not a Latin-1 letter. Bytes that form valid UTF-8 are copied as they are (the
     * log shows {@code /été} as sent), any other is written as the JSON unicode escape of its value;
     * ASCII as in {@link #string}.
     */
    private void bytes(String value) {
        if (value == null) {
            raw(NULL);
            return;
        }
        if (!isByteString(value)) {
            string(value); // not from the wire: text, as any other string
            return;
        }
        byte[] out = this.out;
        int at = this.at;
        out[at++] = '"';
        for (int i = 0; i < value.length(); ) {
            char c = value.charAt(i);
            if (c < 0x80) {
                at = ascii(out, at, c);
                i++;
                continue;
            }
            int size = utf8Length(value, i);
            if (size > 0) {
                for (int end = i + size; i < end; i++) {
                    out[at++] = (byte) value.charAt(i);
                }
            } else {
                at = escape(out, at, 'u');
                out[at++] = '0';
                out[at++] = '0';
                out[at++] = HEX[c >> 4 & 0xf];
                out[at++] = HEX[c & 0xf];
                i++;
            }
        }
        out[at++] = '"';
        this.at = at;
    }

    private static boolean isByteString(String value) {
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) > 0xFF) {
                return false;
            }
        }
        return true;
    }

    /** One char below 0x80, escaped for JSON where it must be. */
    private static int ascii(byte[] out, int at, char c) {
        switch (c) {
            case '"', '\\' -> {
                out[at++] = '\\';
                out[at++] = (byte) c;
            }
            case '\n' -> at = escape(out, at, 'n');
            case '\r' -> at = escape(out, at, 'r');
            case '\t' -> at = escape(out, at, 't');
            default -> {
                if (c < 0x20) {
                    at = escape(out, at, 'u');
                    out[at++] = '0';
                    out[at++] = '0';
                    out[at++] = HEX[c >> 4];
                    out[at++] = HEX[c & 0xf];
                } else {
                    out[at++] = (byte) c;
                }
            }
        }
        return at;
    }

    /**
     * The length of the well-formed UTF-8 sequence (RFC 3629) of bytes that starts at {@code i}, each
     * byte a char; 0 when there is none there.
     */
    private static int utf8Length(String bytes, int i) {
        int lead = bytes.charAt(i);
        int size;
        int low = 0x80;
        int high = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF) {
            size = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            size = 3;
            low = lead == 0xE0 ? 0xA0 : 0x80; // no overlong form
            high = lead == 0xED ? 0x9F : 0xBF; // no surrogate
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            size = 4;
            low = lead == 0xF0 ? 0x90 : 0x80;
            high = lead == 0xF4 ? 0x8F : 0xBF; // nothing above U+10FFFF
        } else {
            return 0;
        }
        if (i + size > bytes.length()) {
            return 0;
        }
        for (int k = 1; k < size; k++) {
            int next = bytes.charAt(i + k);
            if (next < (k == 1 ? low : 0x80) || next > (k == 1 ? high : 0xBF)) {
                return 0;
            }
        }
        return size;
    }

    private static int escape(byte[] out, int at, char letter) {
        out[at] = '\\';
        out[at + 1] = (byte) letter;
        return at + 2;
    }

    private void raw(byte[] bytes) {
        System.arraycopy(bytes, 0, out, at, bytes.length);
        at += bytes.length;
    }

    private static int length(CharSequence value) {
        return value == null ? 0 : value.length();
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
