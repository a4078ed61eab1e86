package dev.ballast.proxy.http;

import io.netty.handler.codec.DateFormatter;
import io.netty.util.AsciiString;

import java.util.Date;

/**
 * The {@code Date} header value for now (RFC 9110 §5.6.7, IMF-fixdate, as Netty's {@link DateFormatter}
 * writes it), formatted once a second and shared by every thread: a response the proxy makes, or
 * forwards without one, gets it.
 */
final class HttpDate {

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
        return new Stamp(second, AsciiString.cached(DateFormatter.format(new Date(second * 1000))));
    }
}
