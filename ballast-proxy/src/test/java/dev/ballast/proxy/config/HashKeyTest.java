package dev.ballast.proxy.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class HashKeyTest {

    private static final String EXPECTED = " (expected: header:NAME, cookie:NAME, query:NAME, client-ip or path)";

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
            "header:a[b]   | 'header:a[b]': 'a[b]' is not a valid header name",
            "cookie:a:b    | 'cookie:a:b': 'a:b' is not a valid cookie name",
            "query:        | 'query:': '' is not a valid query name",
    })
    void rejectsOtherSyntaxSayingWhatIsExpected(String text, String message) {
        assertThatIllegalArgumentException().isThrownBy(() -> HashKey.parse(text))
                .withMessage(message + EXPECTED);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"page[id]", "filter[user]", "a.b:c", "user id", "caf\u00e9", "100%", "a?b", "x/y"})
    void takesAnyQueryParameterNameABackendCanBeSent(String name) {
        HashKey key = HashKey.parse("query:" + name);

        assertThat(key).isEqualTo(new HashKey(HashKey.Source.QUERY, name));
        assertThat(key).hasToString("query:" + name);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"a&b", "a=b", "a#b", "&"})
    void refusesAQueryParameterNameHoldingWhatDelimitsAQuery(String name) {
        assertThatIllegalArgumentException().isThrownBy(() -> HashKey.parse("query:" + name))
                .withMessage("'query:" + name + "': a query parameter name may not hold '&', '=' or '#', which"
                        + " delimit the query" + EXPECTED);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"a\tb", "a\u0000b", "a\u007fb", "a\nb"})
    void refusesAQueryParameterNameHoldingAControlCharacter(String name) {
        assertThatIllegalArgumentException().isThrownBy(() -> HashKey.parse("query:" + name))
                .withMessageStartingWith("'query:" + name + "': a query parameter name may not hold a control"
                        + " character");
    }

    @Test
    void aHashKeyAndASplitKeyOnABracketedQueryParameterLoad() {
        ConfigResult result = ConfigLoader.parse("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  v1:
                    balancer: ring-hash
                    hash_key: query:page[id]
                    endpoints: [127.0.0.1:9001]
                  v2:
                    balancer: maglev
                    hash_key: query:a.b:c
                    endpoints: [127.0.0.1:9002]
                routes:
                  - match: { path_prefix: / }
                    split: [{ upstream: v1, weight: 95 }, { upstream: v2, weight: 5 }]
                    split_key: "query:filter[user]"
                """, "test.yaml", name -> null);

        assertThat(result.errors()).isEmpty();
        assertThat(result.warnings()).isEmpty();
        assertThat(result.config().upstreams().get("v1").hashKey())
                .isEqualTo(new HashKey(HashKey.Source.QUERY, "page[id]"));
        assertThat(result.config().upstreams().get("v2").hashKey())
                .isEqualTo(new HashKey(HashKey.Source.QUERY, "a.b:c"));
        assertThat(result.config().routes().getFirst().splitKey())
                .isEqualTo(new HashKey(HashKey.Source.QUERY, "filter[user]"));
    }
}
