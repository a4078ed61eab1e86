package dev.ballast.core.config;

import dev.ballast.core.pick.QueryParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class HashKeyNamesTest {

    @Test
    void aTokenIsLettersDigitsAndTheTokenPunctuation() {
        assertThat(HashKeyNames.isToken("X-User-Id")).isTrue();
        assertThat(HashKeyNames.isToken("__Host-session")).isTrue();
        assertThat(HashKeyNames.isToken("X-User_Id.v2~!#$%&'*+^`|")).isTrue();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"", "a b", "page[id]", "a:b", "a;b", "a\"b", "a/b", "a,b", "a=b", "caf\u00e9", "a\u0001b",
            "a\tb", "a\u007fb"})
    void anythingElseIsNoToken(String name) {
        assertThat(HashKeyNames.isToken(name)).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"user", "page[id]", "filter[user]", "a.b:c", "user id", "caf\u00e9", "100%", "a?b", "x/y",
            "a+b", "page%5Bid%5D", " user "})
    void aQueryNameMayBeAnyNameABackendCanBeSent(String name) {
        assertThat(HashKeyNames.queryNameProblem(name)).isNull();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"a&b", "a=b", "a#b", "&", "="})
    void aQueryNameMayNotHoldWhatDelimitsAQuery(String name) {
        assertThat(HashKeyNames.queryNameProblem(name))
                .isEqualTo("a query parameter name may not hold '&', '=' or '#', which delimit the query");
    }

    @Test
    void aQueryNameMayNotHoldAControlCharacterNorBeBlank() {
        assertThat(HashKeyNames.queryNameProblem("a\tb"))
                .isEqualTo("a query parameter name may not hold a control character (U+0009)");
        assertThat(HashKeyNames.queryNameProblem("a\u0000b")).endsWith("(U+0000)");
        assertThat(HashKeyNames.queryNameProblem("a\u007fb")).endsWith("(U+007F)");
        assertThat(HashKeyNames.queryNameProblem("a\u0085b")).endsWith("(U+0085)");
        assertThat(HashKeyNames.queryNameProblem("")).isEqualTo("a query parameter name may not be blank");
        assertThat(HashKeyNames.queryNameProblem(" \t ")).isEqualTo("a query parameter name may not be blank");
    }

    @Test
    void aQueryNameWrittenEncodedIsWarnedOfWithItsDecodedForm() {
        assertThat(HashKeyNames.encodedQueryNameWarning("page%5Bid%5D")).isEqualTo("query names are written decoded,"
                + " as the backend reads them: 'page%5Bid%5D' matches a parameter sent as page%255Bid%255D, while"
                + " ?page%5Bid%5D= is page[id] and gives no key; did you mean query:page[id]?");
        assertThat(HashKeyNames.encodedQueryNameWarning("user%5fid")).endsWith("did you mean query:user_id?");
        assertThat(HashKeyNames.encodedQueryNameWarning("caf%C3%A9")).endsWith("did you mean query:caf\u00e9?");
        // A name holding an escape is written as sent, where a '+' is a space.
        assertThat(HashKeyNames.encodedQueryNameWarning("user+id%5B0%5D")).isEqualTo("query names are written"
                + " decoded, as the backend reads them: 'user+id%5B0%5D' matches a parameter sent as"
                + " user%2Bid%255B0%255D, while ?user+id%5B0%5D= is user id[0] and gives no key; did you mean"
                + " query:user id[0]?");
    }

    @Test
    void aPlusIsAPlusSignAndAnEscapedOneIsSuggestedSo() {
        // The name the backend reads: a request sends a '+' in a name as %2B, decoded to '+', so query:a+b
        // finds ?a%2Bb=. A '+' sent as such is a space: ?a+b= is query:a b.
        assertThat(QueryParameters.value("/p?a%2Bb=1", "a+b")).isEqualTo("1");
        assertThat(QueryParameters.value("/p?a+b=1", "a b")).isEqualTo("1");
        for (String name : new String[] {"a+b", "+", "user+id", "a b+c", "c++"}) {
            assertThat(HashKeyNames.encodedQueryNameWarning(name)).as(name).isNull();
        }
        assertThat(HashKeyNames.encodedQueryNameWarning("a%2Bb")).isEqualTo("query names are written decoded, as"
                + " the backend reads them: 'a%2Bb' matches a parameter sent as a%252Bb, while ?a%2Bb= is a+b and"
                + " gives no key; did you mean query:a+b?");
        assertThat(HashKeyNames.encodedQueryNameWarning("%2B")).endsWith("while ?%2B= is + and gives no key;"
                + " did you mean query:+?");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"page%5Bid%5D", "a%2Bb", "%2B", "a+b%5B%5D", "%2525", "a%255Bb", "%25", "a%2B%2B", "%41+",
            "a%26b", "%20a", "a%20", "%2B%20", "a%0Ab", "%2B+%2B", "x%3D1", "%25zz"})
    void whatAWarningSuggestsIsNeverItselfWarnedOfNorRefused(String name) {
        String warning = HashKeyNames.encodedQueryNameWarning(name);
        assertThat(warning).as(name).isNotNull();
        int suggestion = warning.indexOf("did you mean query:");
        if (suggestion >= 0) {
            String suggested = warning.substring(suggestion + "did you mean query:".length(), warning.length() - 1);
            assertThat(HashKeyNames.queryNameProblem(suggested)).as(suggested).isNull();
            assertThat(suggested.strip()).as(suggested).isEqualTo(suggested);
            assertThat(HashKeyNames.encodedQueryNameWarning(suggested)).as(suggested).isNull();
        }
    }

    @Test
    void aNameThatIsStillEncodedOnceDecodedIsWarnedOfWithoutASuggestion() {
        // query:%25 would match ?%2525=, but it holds an escape too: suggesting it would only warn again.
        assertThat(HashKeyNames.encodedQueryNameWarning("%2525")).isEqualTo("query names are written decoded, as"
                + " the backend reads them: '%2525' matches a parameter sent as %252525, while ?%2525= is %25 and"
                + " gives no key");
        assertThat(HashKeyNames.encodedQueryNameWarning("a%255Bb"))
                .endsWith("while ?a%255Bb= is a%5Bb and gives no key");
    }

    @Test
    void aQueryNameWhoseDecodedFormNoHashKeyCanTakeIsWarnedOfWithoutASuggestion() {
        assertThat(HashKeyNames.encodedQueryNameWarning("a%26b")).isEqualTo("query names are written decoded, as"
                + " the backend reads them: 'a%26b' matches a parameter sent as a%2526b, while ?a%26b= is a name no"
                + " query hash key can take");
        assertThat(HashKeyNames.encodedQueryNameWarning("a%0Ab")).endsWith("a name no query hash key can take");
        assertThat(HashKeyNames.encodedQueryNameWarning("%20a")).endsWith("a name no query hash key can take");
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"user", "page[id]", "user id", "100%", "a%zz", "a%5", "a+b%zz", "%", "caf\u00e9", "a+b",
            "+"})
    void aQueryNameWithNothingToDecodeOrAMalformedEscapeIsNoWarning(String name) {
        // A malformed escape: a request sending the name so has it compared as sent, and it matches.
        assertThat(HashKeyNames.encodedQueryNameWarning(name)).isNull();
    }
}
