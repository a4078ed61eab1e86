package dev.ballast.client.internal;

import dev.ballast.client.ClientRequest;
import dev.ballast.client.ServiceConfig.HashKey;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** Finds a request's affinity key where the service's {@code hash_key} says it is. */
final class HashKeyReader {

    private HashKeyReader() {
    }

    /**
     * The key, or null when the request carries none (hash balancers then pick at random). An empty
     * value is none, as in the proxy's {@code RequestHash.key}: a logged-out client's {@code session=}
     * cookie, a {@code ?user=} or an empty header (or an empty {@link ClientRequest#hashKey}) would
     * otherwise all hash to one endpoint, a hot spot, where the proxy spreads them.
     */
    static String keyOf(HashKey spec, ClientRequest request) {
        String key;
        if (request.hashKey().isPresent()) {
            key = request.hashKey().get();
        } else if (spec == null) {
            return null;
        } else {
            key = switch (spec.source()) {
                case HEADER -> request.header(spec.name()).map(HashKeyReader::fieldValue).orElse(null);
                case COOKIE -> cookie(request.headerValues("cookie"), spec.name());
                case QUERY -> queryParameter(request.path(), spec.name());
                case PATH -> pathOnly(request.path());
            };
        }
        return key == null || key.isEmpty() ? null : key;
    }

    /**
     * A header value as the proxy reads it off the wire: without the spaces and tabs around it, which
     * are no part of a field value (RFC 9110 section 5.5; Netty's decoder drops them), so
     * {@code X-User: " 42 "} is the key {@code 42} and a value of only blanks is an empty one.
     * {@link ClientRequest} sends the value as given and allows no other control character.
     */
    private static String fieldValue(String value) {
        int start = 0;
        int end = value.length();
        while (start < end && isBlank(value.charAt(start))) {
            start++;
        }
        while (end > start && isBlank(value.charAt(end - 1))) {
            end--;
        }
        return start == 0 && end == value.length() ? value : value.substring(start, end);
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t';
    }

    /**
     * The value of cookie {@code name} (RFC 6265 section 5.4), read exactly as the proxy's
     * {@code RequestHash.cookie} reads it, so one config gives one key in both: the {@code Cookie} headers
     * in order, each (as the proxy receives it) without surrounding blanks, split on {@code ;}; a pair's
     * leading spaces are skipped and its name, up to the first {@code =}, must be {@code name} exactly
     * ({@code id} is not {@code idx}, nor {@code id } with a space before the {@code =}); a pair
     * without {@code =} is passed over. The first pair with the name counts, even with an empty value.
     * The value is trimmed and one pair of surrounding double quotes taken off (a cookie-value may be
     * DQUOTE-wrapped), so {@code id="42"} and {@code id=42} are one key, and {@code id=""} is none.
     */
    private static String cookie(List<String> headers, String name) {
        for (String sent : headers) {
            String header = fieldValue(sent);
            int start = 0;
            int length = header.length();
            while (start < length) {
                int semicolon = header.indexOf(';', start);
                int end = semicolon < 0 ? length : semicolon;
                while (start < end && header.charAt(start) == ' ') {
                    start++;
                }
                int eq = header.indexOf('=', start);
                if (eq >= 0 && eq < end && eq - start == name.length() && header.regionMatches(start, name, 0, name.length())) {
                    String value = header.substring(eq + 1, end).trim();
                    if (value.length() >= 2 && value.charAt(0) == '"' && value.charAt(value.length() - 1) == '"') {
                        value = value.substring(1, value.length() - 1);
                    }
                    return value;
                }
                start = end + 1;
            }
        }
        return null;
    }

    /**
     * The percent-decoded value of the first query parameter whose percent-decoded name is {@code name},
     * or null. Read as the proxy reads a {@code query:NAME} key (its {@code RequestTarget.queryParameter}
     * and {@code RequestHash}, over Netty's {@code QueryStringDecoder}), so that one config gives one key
     * in both: the query runs from the first {@code ?} to a {@code #}, is split on {@code &} only, and
     * {@code %XX} is UTF-8 and {@code +} a space, so {@code ?user%5Fid=42} has {@code user_id} and
     * {@code ?a=%62} and {@code ?a=b} are one key. A name or value with a malformed escape is compared or
     * returned as it is sent. A name without {@code %} or {@code +} is compared in place: no allocation.
     */
    static String queryParameter(String target, String name) {
        // The fragment is found once, not once per parameter. ClientRequest refuses a path with one; this
        // stays right without that.
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
            if (encoded ? decodedNameIs(target, start, nameEnd, name)
                    : nameEnd - start == name.length() && target.regionMatches(start, name, 0, name.length())) {
                return nameEnd == paramEnd ? "" : decodedValue(target, nameEnd + 1, paramEnd);
            }
            start = paramEnd + 1;
        }
        return null;
    }

    private static boolean decodedNameIs(String target, int start, int end, String name) {
        if (end - start < name.length()) {
            return false; // decoding never lengthens: a char stays one char, each %XX makes at most one
        }
        String decoded = decoded(target, start, end);
        if (decoded == null) { // a malformed escape: the name is compared as sent
            return end - start == name.length() && target.regionMatches(start, name, 0, name.length());
        }
        return decoded.equals(name);
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

    /**
     * {@code s[start, end)} decoded as Netty's {@code QueryStringDecoder.decodeComponent} decodes it (the
     * proxy's reading): {@code +} is a space, each run of {@code %XX} escapes is one UTF-8 byte sequence
     * (a byte that is no UTF-8 becomes U+FFFD), any other char stays. Null where Netty throws: a {@code %}
     * not followed by two hex digits. Not {@link java.net.URLDecoder}, which reads {@code %+1} as byte 1
     * (its hex is {@code Integer.parseInt}'s, sign included) and throws where null is returned here.
     */
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

    private static String pathOnly(String path) {
        int q = path.indexOf('?');
        return q < 0 ? path : path.substring(0, q);
    }
}
