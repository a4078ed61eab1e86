package dev.ballast.core.pick;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A cookie key found in one Cookie field, as both the proxy and the client read it. */
class CookieValuesTest {

    @Test
    void findsTheFirstPairWithExactlyTheName() {
        assertThat(CookieValues.value("idx=1; id=42; id=43", "id")).isEqualTo("42");
        assertThat(CookieValues.value("a=1;  session=s-1", "session")).isEqualTo("s-1");
        assertThat(CookieValues.value("ID=1; id =2; flag; x=3", "id")).as("case, a space before '='").isNull();
        assertThat(CookieValues.value("flag; id=7", "id")).as("a pair without '=' is passed over").isEqualTo("7");
    }

    @Test
    void takesOnePairOfQuotesOffAndKeepsAnEmptyValueAsFound() {
        assertThat(CookieValues.value("id=\"42\"", "id")).isEqualTo("42");
        assertThat(CookieValues.value("id=\"\"", "id")).isEmpty();
        assertThat(CookieValues.value("id=; id=5", "id")).as("the first counts, even empty").isEmpty();
        assertThat(CookieValues.value("id=\"", "id")).isEqualTo("\"");
    }
}
