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
 * {@code &}, {@code =} and {@code #} that delimit a query are refused. A {@code +} in it is a plus sign
 * (a request sends it as {@code %2B}). A name written encoded, with a {@code %XX} escape, is allowed but
 * warned of ({@link #encodedQueryNameWarning}).
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
     * name {@code page[id]}. Such a config still loads, but now matches only a parameter whose {@code %} is
     * itself sent encoded ({@code ?page%255Bid%255D=}): requests sent as before have no key, ring-hash and
     * maglev spread them at random and a split is not sticky. Not an error: a backend may truly read a
     * {@code %XX} in a name.
     *
     * <p>Only a well-formed {@code %XX} escape makes a name look encoded. A {@code +} is a plus sign, as in
     * the name the backend reads: a request sends one in a name as {@code %2B}, so {@code query:a+b} finds
     * {@code ?a%2Bb=} (a {@code +} a request sends is a space: {@code ?a+b=} is {@code query:a b}). Warning of
     * it left a name with a real {@code +} no way to be written without a warning, and sent the advice back
     * and forth ({@code query:a%2Bb}, did you mean {@code query:a+b}; {@code query:a+b}, did you mean
     * {@code query:a b}). A name that holds an escape is taken as written as sent, so the warning reads its
     * {@code +} as a space, as a request's is. A name with a malformed escape ({@code 100%}) is no warning:
     * a request sending it so has it compared as sent.
     *
     * <p>The decoded name is suggested only when it would load without a warning itself: not when no hash
     * key can take it ({@code %26}, {@code %0A}, a space at an end), nor when it still holds an escape
     * ({@code %2525} is {@code %25}), which would be warned of in turn.
     */
    public static String encodedQueryNameWarning(String name) {
        if (!isWrittenEncoded(name)) {
            return null;
        }
        String decoded = QueryParameters.decode(name);
        String warning = "query names are written decoded, as the backend reads them: '" + name
                + "' matches a parameter sent as " + encoded(name) + ", while ?" + name + "= is ";
        if (queryNameProblem(decoded) != null || !decoded.strip().equals(decoded)) {
            // %26, %0A, %20 at an end: the decoded name is one no hash key can take, so nothing to suggest.
            return warning + "a name no query hash key can take";
        }
        warning += decoded + " and gives no key";
        // Still encoded once decoded (%2525): query:%25 would be warned of in turn, so it is no advice.
        return isWrittenEncoded(decoded) ? warning : warning + "; did you mean query:" + decoded + "?";
    }

    /** Whether {@code name} holds a {@code %XX} escape and no malformed one: the names warned of. */
    private static boolean isWrittenEncoded(String name) {
        return name.indexOf('%') >= 0 && QueryParameters.decode(name) != null;
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
