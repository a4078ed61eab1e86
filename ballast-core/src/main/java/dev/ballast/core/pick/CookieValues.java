package dev.ballast.core.pick;

/**
 * Finds a {@code cookie:NAME} affinity key ({@code hash_key}, {@code split_key}) in a {@code Cookie}
 * field (RFC 6265 §5.4): one reading for the proxy and the client, so that one config gives one key in
 * both. Called per request: no allocation but the value found.
 */
public final class CookieValues {

    private CookieValues() {
    }

    /**
     * The value of cookie {@code name} in one {@code Cookie} field value (without the blanks around it,
     * as a server receives it), or null. The field is split on {@code ;}; a pair's leading spaces are
     * skipped and its name, up to the first {@code =}, must be {@code name} exactly ({@code id} is not
     * {@code idx}, nor {@code id } with a space before the {@code =}); a pair without {@code =} is passed
     * over. The first pair with the name counts, even with an empty value. The value is trimmed and one
     * pair of surrounding double quotes taken off (a cookie-value may be DQUOTE-wrapped), so {@code
     * id="42"} and {@code id=42} are one key.
     */
    public static String value(String field, String name) {
        int start = 0;
        int length = field.length();
        while (start < length) {
            int semicolon = field.indexOf(';', start);
            int end = semicolon < 0 ? length : semicolon;
            while (start < end && field.charAt(start) == ' ') {
                start++;
            }
            int eq = field.indexOf('=', start);
            if (eq >= 0 && eq < end && eq - start == name.length() && field.regionMatches(start, name, 0, name.length())) {
                String value = field.substring(eq + 1, end).trim();
                if (value.length() >= 2 && value.charAt(0) == '"' && value.charAt(value.length() - 1) == '"') {
                    value = value.substring(1, value.length() - 1);
                }
                return value;
            }
            start = end + 1;
        }
        return null;
    }
}
