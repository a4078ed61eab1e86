package dev.ballast.proxy.http;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

import java.util.Iterator;
import java.util.concurrent.ThreadLocalRandom;

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) and {@code X-Request-Id} on the hop to the
 * upstream. The proxy is one hop of the trace, so a valid incoming {@code traceparent} keeps its trace
 * id and flags and gets a new parent id (our span); a missing or invalid one is replaced by a fresh
 * trace, and its {@code tracestate} dropped, as the spec asks when the parent cannot be parsed.
 * {@code X-Request-Id} is kept when the client sent a usable one and is the trace id otherwise, so the
 * two correlate without a third id.
 *
 * <p>Cheap: ids come from {@link ThreadLocalRandom} and are written as hex into one 55-byte array that
 * becomes the header value as is ({@link AsciiString} wraps it without a copy); the request id is a
 * view of the same bytes.
 */
final class TraceContext {

    static final AsciiString TRACEPARENT = AsciiString.cached("traceparent");
    static final AsciiString TRACESTATE = AsciiString.cached("tracestate");
    static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");

    /** {@code 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>}. */
    private static final int LENGTH = 55;
    private static final int TRACE_ID = 3;
    private static final int PARENT_ID = 36;
    private static final int FLAGS = 53;
    /** The trace flags version 00 defines: sampled (01) and random (02, Trace Context Level 2). */
    private static final int DEFINED_FLAGS = 0x03;
    /** Longer client request ids are replaced: an id, not a place to carry data. */
    static final int MAX_REQUEST_ID_LENGTH = 200;
    private static final byte[] HEX = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};

    private TraceContext() {
    }

    /**
     * Sets {@code traceparent} (and {@code X-Request-Id} when absent) for the upstream, tells
     * {@code record} what was received and sent, and returns the new traceparent.
     */
    static AsciiString propagate(HttpHeaders headers, RequestRecord record) {
        byte[] out = new byte[LENGTH];
        out[0] = '0';
        out[1] = '0';
        out[2] = '-';
        out[PARENT_ID - 1] = '-';
        out[FLAGS - 1] = '-';
        ThreadLocalRandom random = ThreadLocalRandom.current();
        String incoming = validIncoming(headers);
        record.incomingTraceparent(incoming);
        if (incoming != null) {
            for (int i = TRACE_ID; i < TRACE_ID + 32; i++) {
                out[i] = (byte) incoming.charAt(i);
            }
            // Only the flags defined for version 00 go on, sampled and random; the others must be zero.
            out[FLAGS] = '0';
            out[FLAGS + 1] = HEX[hex(incoming.charAt(FLAGS + 1)) & DEFINED_FLAGS];
        } else {
            headers.remove(TRACESTATE);
            writeHex(out, TRACE_ID, nonZero(random)); // a non-zero high half keeps the whole id non-zero
            writeHex(out, TRACE_ID + 16, random.nextLong());
            out[FLAGS] = '0';
            out[FLAGS + 1] = '0';
        }
        writeHex(out, PARENT_ID, nonZero(random));
        AsciiString traceparent = new AsciiString(out, false);
        headers.set(TRACEPARENT, traceparent);
        record.traceparent(traceparent);
        String requestId = headers.get(X_REQUEST_ID);
        if (requestId != null && isUsableRequestId(requestId)) {
            Iterator<String> ids = headers.valueStringIterator(X_REQUEST_ID);
            ids.next();
            if (ids.hasNext()) {
                headers.set(X_REQUEST_ID, requestId); // of several, the first: an upstream would read a list
            }
            record.requestId(requestId);
        } else {
            headers.set(X_REQUEST_ID, traceId(traceparent));
            record.requestId(null); // the trace id
        }
        return traceparent;
    }

    /** The client's {@code traceparent} when it is one valid header, otherwise null. */
    static String validIncoming(HttpHeaders headers) {
        String incoming = headers.get(TRACEPARENT);
        return incoming != null && isValid(incoming) && headers.getAll(TRACEPARENT).size() == 1 ? incoming : null;
    }

    /** The client's first {@code X-Request-Id} when it is usable as one, otherwise null. */
    static String usableRequestId(HttpHeaders headers) {
        String requestId = headers.get(X_REQUEST_ID);
        return requestId != null && isUsableRequestId(requestId) ? requestId : null;
    }

    /**
     * A client's {@code X-Request-Id} goes on when it is one id: 1 to 200 visible ASCII characters. A
     * space, a tab or a quote-free byte above 0x7e could forge fields in the key=value logs of the
     * services behind, and an overlong one carries data, not an id; either gives way to the trace id.
     */
    private static boolean isUsableRequestId(String id) {
        int length = id.length();
        if (length == 0 || length > MAX_REQUEST_ID_LENGTH) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            char c = id.charAt(i);
            if (c <= ' ' || c > '~') {
                return false;
            }
        }
        return true;
    }

    /** The 32 hex digits of the trace id of a traceparent this class wrote (a view, no copy). */
    static AsciiString traceId(AsciiString traceparent) {
        return traceparent.subSequence(TRACE_ID, TRACE_ID + 32, false);
    }

    /** Version 00 is exactly 55 characters; a later version may append fields after a dash. */
    static boolean isValid(String value) {
        int length = value.length();
        if (length < LENGTH) {
            return false;
        }
        int high = hex(value.charAt(0));
        int low = hex(value.charAt(1));
        if (high < 0 || low < 0 || (high == 0xf && low == 0xf)) {
            return false; // ff is forbidden
        }
        boolean version00 = high == 0 && low == 0;
        if (version00 ? length != LENGTH : length > LENGTH && value.charAt(LENGTH) != '-') {
            return false;
        }
        return value.charAt(2) == '-' && value.charAt(PARENT_ID - 1) == '-' && value.charAt(FLAGS - 1) == '-'
                && isNonZeroHex(value, TRACE_ID, PARENT_ID - 1)
                && isNonZeroHex(value, PARENT_ID, FLAGS - 1)
                && hex(value.charAt(FLAGS)) >= 0 && hex(value.charAt(FLAGS + 1)) >= 0;
    }

    private static boolean isNonZeroHex(String value, int from, int to) {
        boolean nonZero = false;
        for (int i = from; i < to; i++) {
            int digit = hex(value.charAt(i));
            if (digit < 0) {
                return false;
            }
            nonZero |= digit != 0;
        }
        return nonZero;
    }

    /** Lower-case hex only: the spec forbids upper case. */
    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return -1;
    }

    private static long nonZero(ThreadLocalRandom random) {
        long value;
        do {
            value = random.nextLong();
        } while (value == 0);
        return value;
    }

    private static void writeHex(byte[] out, int at, long value) {
        for (int i = 15; i >= 0; i--) {
            out[at + i] = HEX[(int) value & 0xf];
            value >>>= 4;
        }
    }
}
