package dev.ballast.proxy.config;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class HashKeyTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({"header:X-User-Id, HEADER, X-User-Id", "cookie:session, COOKIE, session", "query:user, QUERY, user",
            "client-ip, CLIENT_IP, ''", "path, PATH, ''"})
    void parsesEachSourceAndPrintsItBack(String text, HashKey.Source source, String name) {
        HashKey key = HashKey.parse(text);

        assertThat(key).isEqualTo(new HashKey(source, name));
        assertThat(key).hasToString(text);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "header        | 'header' is not a hash key",
            "body:x        | 'body:x' is not a hash key",
            "client_ip     | 'client_ip' is not a hash key",
            "header:       | 'header:': '' is not a valid header name",
            "cookie:a b    | 'cookie:a b': 'a b' is not a valid cookie name",
    })
    void rejectsOtherSyntaxSayingWhatIsExpected(String text, String message) {
        assertThatIllegalArgumentException().isThrownBy(() -> HashKey.parse(text))
                .withMessage(message + " (expected: header:NAME, cookie:NAME, query:NAME, client-ip or path)");
    }
}
