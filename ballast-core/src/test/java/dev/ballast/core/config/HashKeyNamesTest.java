package dev.ballast.core.config;

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
        assertThat(HashKeyNames.encodedQueryNameWarning("user+id")).isEqualTo("query names are written decoded,"
                + " as the backend reads them: 'user+id' matches a parameter sent as user%2Bid, while ?user+id= is"
                + " user id and gives no key; did you mean query:user id?");
        assertThat(HashKeyNames.encodedQueryNameWarning("user%5fid")).endsWith("did you mean query:user_id?");
        assertThat(HashKeyNames.encodedQueryNameWarning("caf%C3%A9")).endsWith("did you mean query:caf\u00e9?");
        assertThat(HashKeyNames.encodedQueryNameWarning("a b+c")).contains("sent as a+b%2Bc,")
                .endsWith("did you mean query:a b c?");
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
    @ValueSource(strings = {"user", "page[id]", "user id", "100%", "a%zz", "a%5", "a+b%zz", "%", "caf\u00e9"})
    void aQueryNameWithNothingToDecodeOrAMalformedEscapeIsNoWarning(String name) {
        // A malformed escape: a request sending the name so has it compared as sent, and it matches.
        assertThat(HashKeyNames.encodedQueryNameWarning(name)).isNull();
    }
}
