package dev.ballast.core.pick;

import java.nio.charset.StandardCharsets;

/**
 * Finds a {@code query:NAME} affinity key ({@code hash_key}, {@code split_key}) in a request target: one
 * reading for the proxy and the client, so that one config gives one key in both. The name it is asked
 * for is written decoded, as a backend reads it ({@link dev.ballast.core.config.HashKeyNames} says which
 * names may be); each parameter's name is percent-decoded before it is compared.
 *
 * <p>Decoding is that of Netty's {@code QueryStringDecoder.decodeComponent}, which the proxy's
 * {@code match.query} reads names with, written here in JDK code: {@code +} is a space, each run of
 * {@code %XX} escapes is one UTF-8 byte sequence (a byte that is no UTF-8 becomes U+FFFD), any other
 * char stays; a {@code %} not followed by two ASCII hex digits is malformed, and the text is then taken
 * as it was sent. Not {@link java.net.URLDecoder}, which reads {@code %+1} as byte 1 (its hex is
 * {@code Integer.parseInt}'s, sign included) and throws where this keeps the text.
 *
 * <p>Called per request: no locks, no exceptions, and no allocation to compare a name without
 * {@code %} or {@code +}.
 */
public final class QueryParameters {

    private QueryParameters() {
    }

    /**
     * The percent-decoded value of the first query parameter of {@code target} whose percent-decoded name
     * is {@code name}; empty for a parameter without {@code =}; null when there is none. The query runs
     * from the first {@code ?} to a {@code #} (a {@code ?} after the {@code #} begins no query) and is split
     * on {@code &} only, a name ending at its first {@code =}: {@code ?user%5Fid=42} has {@code user_id},
     * and {@code ?a=%62} and {@code ?a=b} are one key. A name or value with a malformed escape is compared
     * or returned as it is sent, and breaks no other parameter.
     *
     * @param target a request target: origin-form {@code /p?q} or absolute-form {@code http://h/p?q}
     * @param name   the parameter name, decoded
     */
    public static String value(String target, String name) {
        // The fragment is found once, not once per parameter (that scanned the rest of the target each
        // time). The proxy's request head and ClientRequest refuse a target with one; this stays right
        // without that.
        int end = target.indexOf('#');
        if (end < 0) {
            end = target.length();
        }
        int query = target.indexOf('?');
        if (query < 0 || query > end) {
            return null;
        }
        int start = query + 1;
        while (start < end) {
            int amp = target.indexOf('&', start);
            int paramEnd = amp < 0 || amp > end ? end : amp;
            int nameEnd = start;
            boolean encoded = false;
            while (nameEnd < paramEnd) {
                char c = target.charAt(nameEnd);
                if (c == '=') {
                    break;
                }
                encoded |= c == '%' || c == '+';
                nameEnd++;
            }
            if (encoded ? decodedNameIs(target, start, nameEnd, name) : sentNameIs(target, start, nameEnd, name)) {
                return nameEnd == paramEnd ? "" : decodedValue(target, nameEnd + 1, paramEnd);
            }
            start = paramEnd + 1;
        }
        return null;
    }

    /**
     * {@code text} percent-decoded as a query parameter's name or value is: {@code text} itself when it
     * holds no {@code %} and no {@code +}, null when it holds a malformed escape.
     */
    public static String decode(String text) {
        if (text.indexOf('%') < 0 && text.indexOf('+') < 0) {
            return text;
        }
        return decoded(text, 0, text.length());
    }

    private static boolean sentNameIs(String target, int start, int end, String name) {
        return end - start == name.length() && target.regionMatches(start, name, 0, name.length());
    }

    private static boolean decodedNameIs(String target, int start, int end, String name) {
        if (end - start < name.length()) {
            return false; // decoding never lengthens: a char stays one char, each %XX makes at most one
        }
        String decoded = decoded(target, start, end);
        // A malformed escape: the name is compared as sent.
        return decoded == null ? sentNameIs(target, start, end, name) : decoded.equals(name);
    }

    /** {@code target[start, end)} percent-decoded; as sent when it has a malformed escape (still a key). */
    private static String decodedValue(String target, int start, int end) {
        String raw = target.substring(start, end);
        if (raw.indexOf('%') < 0 && raw.indexOf('+') < 0) {
            return raw;
        }
        String decoded = decoded(target, start, end);
        return decoded == null ? raw : decoded;
    }

    /** {@code s[start, end)} decoded (see the class comment); null where Netty throws: a malformed escape. */
    private static String decoded(String s, int start, int end) {
        StringBuilder out = new StringBuilder(end - start);
        byte[] bytes = null;
        int i = start;
        while (i < end) {
            char c = s.charAt(i);
            if (c != '%') {
                out.append(c == '+' ? ' ' : c);
                i++;
                continue;
            }
            if (bytes == null) {
                bytes = new byte[(end - i) / 3]; // the longest run of escapes that fits in what is left
            }
            int count = 0;
            do {
                if (i + 3 > end) {
                    return null;
                }
                int high = hex(s.charAt(i + 1));
                int low = hex(s.charAt(i + 2));
                if (high < 0 || low < 0) {
                    return null;
                }
                bytes[count++] = (byte) (high << 4 | low);
                i += 3;
            } while (i < end && s.charAt(i) == '%');
            out.append(new String(bytes, 0, count, StandardCharsets.UTF_8));
        }
        return out.toString();
    }

    /** An ASCII hex digit's value, else -1 (not {@code Character.digit}, which takes any script's digits). */
    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    }
}
