package dev.ballast.core.config;

import dev.ballast.core.pick.QueryParameters;

/**
 * What a {@code hash_key} or {@code split_key} may name: one rule for the proxy and the client, so that a
 * file one accepts the other accepts too, and one config gives one key in both.
 *
 * <p>A {@code header:} name is an RFC 9110 field-name and a {@code cookie:} name an RFC 6265
 * cookie-name: both a token. A {@code query:} name is written decoded, as a backend reads it (and as
 * {@code match.query} names are): it is compared with each parameter's percent-decoded name
 * ({@link dev.ballast.core.pick.QueryParameters}), so it may hold any character a request can carry
 * encoded, {@code page[id]} or {@code user id} as well; only a blank name, a control character and the
 * {@code &}, {@code =} and {@code #} that delimit a query are refused. A name written encoded is
 * allowed but warned of ({@link #encodedQueryNameWarning}).
 */
public final class HashKeyNames {

    private static final String TOKEN_PUNCTUATION = "!#$%&'*+-.^_`|~";

    private HashKeyNames() {
    }

    /** Whether {@code name} is an RFC 9110 token (letters, digits, {@code !#$%&'*+-.^_`|~}): a header or cookie name. */
    public static boolean isToken(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean token = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || TOKEN_PUNCTUATION.indexOf(c) >= 0;
            if (!token) {
                return false;
            }
        }
        return !name.isEmpty();
    }

    /**
     * Why {@code name} cannot be a query parameter name, in words without the key or an "expected" (each
     * reader adds its own), or null when it can. The readers say that a name is blank first, in the words
     * they use for header and cookie names too.
     */
    public static String queryNameProblem(String name) {
        if (name.isBlank()) {
            return "a query parameter name may not be blank";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '&' || c == '=' || c == '#') {
                // Sent encoded (%26) such a name could be found, but in a config it is far more often two
                // parameters run together or a value where the name goes.
                return "a query parameter name may not hold '&', '=' or '#', which delimit the query";
            }
            if (Character.isISOControl(c)) {
                return "a query parameter name may not hold a control character (U+"
                        + String.format("%04X", (int) c) + ")";
            }
        }
        return null;
    }

    /**
     * The config warning a query name deserves when it looks written encoded, or null. Before names were
     * compared decoded, a name was a token compared as sent, so {@code query:page%5Bid%5D} was the way to
     * name {@code page[id]}, and {@code query:a+b} matched {@code ?a+b=}. Such a config still loads, but
     * now matches only a parameter whose {@code %} or {@code +} is itself sent encoded
     * ({@code ?page%255Bid%255D=}, {@code ?a%2Bb=}): requests sent as before have no key, ring-hash and
     * maglev spread them at random and a split is not sticky. Not an error: a backend may truly read a
     * {@code %} or {@code +} in a name. A name with a malformed escape ({@code 100%}) is no warning: a request sending
     * it so has it compared as sent.
     */
    public static String encodedQueryNameWarning(String name) {
        String decoded = QueryParameters.decode(name);
        if (decoded == null || decoded.equals(name)) {
            return null; // nothing to decode, or a malformed escape
        }
        String warning = "query names are written decoded, as the backend reads them: '" + name
                + "' matches a parameter sent as " + encoded(name) + ", while ?" + name + "= is ";
        if (queryNameProblem(decoded) != null || !decoded.strip().equals(decoded)) {
            // %26, %0A, %20 at an end: the decoded name is one no hash key can take, so nothing to suggest.
            return warning + "a name no query hash key can take";
        }
        return warning + decoded + " and gives no key; did you mean query:" + decoded + "?";
    }

    /** {@code name} as a request sends it to have it decode to {@code name}. */
    private static String encoded(String name) {
        StringBuilder out = new StringBuilder(name.length() + 8);
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            switch (c) {
                case '%' -> out.append("%25");
                case '+' -> out.append("%2B");
                case ' ' -> out.append('+');
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
