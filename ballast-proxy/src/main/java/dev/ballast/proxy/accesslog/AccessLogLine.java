package dev.ballast.proxy.accesslog;

import dev.ballast.core.state.EndpointState;
import dev.ballast.proxy.http.RequestRecord;
import dev.ballast.proxy.route.Route;
import io.netty.util.concurrent.FastThreadLocal;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Formats one access log line: a JSON object on one line, fields always in the same order, null for
 * what a request did not get to (no route, no endpoint). Formatting reuses a per-thread builder and
 * the date of the current second, so a line costs one string.
 */
final class AccessLogLine {

    private static final DateTimeFormatter SECOND = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss");
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private static final FastThreadLocal<Scratch> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected Scratch initialValue() {
            return new Scratch();
        }
    };

    /** Per-thread: the line under construction and the formatted date of the last second seen. */
    private static final class Scratch {
        final StringBuilder line = new StringBuilder(512);
        long second = Long.MIN_VALUE;
        String secondText;
    }

    private AccessLogLine() {
    }

    /** The line for {@code request}, ending in a newline; {@code nowMillis} is when it ended. */
    static String format(RequestRecord request, long nowMillis) {
        Scratch scratch = SCRATCH.get();
        StringBuilder line = scratch.line;
        line.setLength(0);
        long startMillis = nowMillis - request.durationNanos() / 1_000_000;
        line.append("{\"time\":\"");
        time(scratch, startMillis);
        line.append("\",\"client\":");
        string(line, request.client());
        line.append(",\"method\":");
        string(line, request.method());
        line.append(",\"path\":");
        string(line, request.uri());
        line.append(",\"status\":").append(request.status());
        line.append(",\"bytes_in\":").append(request.bytesIn());
        line.append(",\"bytes_out\":").append(request.bytesOut());
        line.append(",\"duration_ms\":");
        millis(line, request.durationNanos());
        Route route = request.route();
        line.append(",\"upstream\":");
        string(line, route == null ? null : route.upstream().name());
        EndpointState endpoint = request.endpoint();
        line.append(",\"endpoint\":");
        string(line, endpoint == null ? null : endpoint.address());
        line.append(",\"attempts\":").append(request.attempts());
        line.append(",\"route\":");
        string(line, route == null ? null : route.name());
        line.append(",\"trace_id\":");
        string(line, request.traceId());
        line.append(",\"user_agent\":");
        string(line, request.userAgent());
        line.append("}\n");
        return line.toString();
    }

    /** ISO 8601 in UTC with milliseconds: {@code 2025-01-31T12:34:56.789Z}. */
    private static void time(Scratch scratch, long epochMillis) {
        long second = Math.floorDiv(epochMillis, 1000);
        if (second != scratch.second) {
            scratch.second = second;
            scratch.secondText = SECOND.format(LocalDateTime.ofEpochSecond(second, 0, ZoneOffset.UTC));
        }
        int millis = (int) Math.floorMod(epochMillis, 1000);
        StringBuilder line = scratch.line;
        line.append(scratch.secondText).append('.');
        if (millis < 100) {
            line.append('0');
        }
        if (millis < 10) {
            line.append('0');
        }
        line.append(millis).append('Z');
    }

    /** Milliseconds with three decimals, without going through a double's text form. */
    private static void millis(StringBuilder line, long nanos) {
        long micros = Math.max(0, nanos) / 1_000;
        line.append(micros / 1_000).append('.');
        long fraction = micros % 1_000;
        if (fraction < 100) {
            line.append('0');
        }
        if (fraction < 10) {
            line.append('0');
        }
        line.append(fraction);
    }

    /** A JSON string (RFC 8259 escaping), or null. */
    static void string(StringBuilder line, CharSequence value) {
        if (value == null) {
            line.append("null");
            return;
        }
        line.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> line.append("\\\"");
                case '\\' -> line.append("\\\\");
                case '\n' -> line.append("\\n");
                case '\r' -> line.append("\\r");
                case '\t' -> line.append("\\t");
                default -> {
                    if (c < 0x20) {
                        line.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
                    } else {
                        line.append(c);
                    }
                }
            }
        }
        line.append('"');
    }
}
