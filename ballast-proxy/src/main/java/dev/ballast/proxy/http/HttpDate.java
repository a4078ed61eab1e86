package dev.ballast.proxy.http;

import io.netty.util.AsciiString;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The {@code Date} header value for now (RFC 9110 §5.6.7, IMF-fixdate), formatted once a second and
 * shared by every thread: a response the proxy makes, or forwards without one, gets it.
 */
final class HttpDate {

    /** Not {@code RFC_1123_DATE_TIME}, whose day of month has no leading zero. */
    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ENGLISH).withZone(ZoneOffset.UTC);

    private record Stamp(long second, AsciiString text) {
    }

    private static volatile Stamp current = stamp(System.currentTimeMillis() / 1000);

    private HttpDate() {
    }

    static AsciiString now() {
        long second = System.currentTimeMillis() / 1000;
        Stamp stamp = current;
        if (stamp.second != second) {
            stamp = stamp(second);
            current = stamp; // racing threads format the same second; any of them may win
        }
        return stamp.text;
    }

    private static Stamp stamp(long second) {
        return new Stamp(second, AsciiString.cached(IMF_FIXDATE.format(Instant.ofEpochSecond(second))));
    }
}
