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
}
