package dev.ballast.proxy.http;

import io.netty.util.AsciiString;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The response header names upstreams send on nearly every response, as shared constants, so the
 * decoder does not copy each of them out of every response (five to ten names a response, most of
 * the names' share of the proxy's garbage). A name matches only byte for byte, so the one handed
 * out has the case the upstream wrote; both the usual spelling and the all-lowercase one are known.
 */
final class ResponseHeaderNames {

    private static final String[] COMMON = {
            "Server", "Date", "Content-Type", "Content-Length", "Connection", "Keep-Alive",
            "Transfer-Encoding", "Content-Encoding", "Cache-Control", "Expires", "Pragma", "Age",
            "Last-Modified", "ETag", "Accept-Ranges", "Vary", "Set-Cookie", "Location", "Link",
            "Access-Control-Allow-Origin", "X-Content-Type-Options", "Strict-Transport-Security",
            "X-Frame-Options", "X-Request-Id", "traceparent",
    };

    /** Candidates by length: a look-up compares a handful of names of the same length at most. */
    private static final AsciiString[][] BY_LENGTH = index();

    private ResponseHeaderNames() {
    }

    private static AsciiString[][] index() {
        List<List<AsciiString>> byLength = new ArrayList<>();
        for (String name : COMMON) {
            for (String spelling : new String[] {name, name.toLowerCase(Locale.ROOT)}) {
                while (byLength.size() <= spelling.length()) {
                    byLength.add(new ArrayList<>());
                }
                AsciiString constant = AsciiString.cached(spelling);
                if (!byLength.get(spelling.length()).contains(constant)) {
                    byLength.get(spelling.length()).add(constant);
                }
            }
        }
        AsciiString[][] index = new AsciiString[byLength.size()][];
        for (int length = 0; length < index.length; length++) {
            index[length] = byLength.get(length).toArray(AsciiString[]::new);
        }
        return index;
    }

    /** The constant spelled exactly as {@code bytes[start, start + length)}, or null. */
    static AsciiString find(byte[] bytes, int start, int length) {
        if (length >= BY_LENGTH.length) {
            return null;
        }
        for (AsciiString name : BY_LENGTH[length]) {
            byte[] spelling = name.array(); // cached() names start at offset 0 and span the whole array
            if (spelling[0] == bytes[start]
                    && Arrays.equals(spelling, 0, length, bytes, start, start + length)) {
                return name;
            }
        }
        return null;
    }
}
