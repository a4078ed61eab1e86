package dev.ballast.client.internal;

import dev.ballast.client.ServiceConfig.HashKey;
import org.junit.jupiter.api.Test;

import static dev.ballast.client.ClientRequest.request;
import static org.assertj.core.api.Assertions.assertThat;

class HashKeyReaderTest {

    @Test
    void findsTheKeyWhereTheServiceSays() {
        var call = request("orders").path("/v1/users/7?tenant=blue&x=1")
                .header("X-User-Id", "u-7").header("cookie", "a=1; session=s-42");

        assertThat(HashKeyReader.keyOf(HashKey.parse("header:x-user-id"), call)).isEqualTo("u-7");
        assertThat(HashKeyReader.keyOf(HashKey.parse("cookie:session"), call)).isEqualTo("s-42");
        assertThat(HashKeyReader.keyOf(HashKey.parse("query:tenant"), call)).isEqualTo("blue");
        assertThat(HashKeyReader.keyOf(HashKey.parse("path"), call)).isEqualTo("/v1/users/7");
        assertThat(HashKeyReader.keyOf(HashKey.parse("query:missing"), call)).isNull();
    }

    @Test
    void aRequestsOwnKeyWins() {
        assertThat(HashKeyReader.keyOf(HashKey.parse("path"), request("orders").hashKey("explicit")))
                .isEqualTo("explicit");
        assertThat(HashKeyReader.keyOf(null, request("orders"))).isNull();
    }

    // As the proxy reads query:NAME (10a78f3): the name is written decoded and compared with each
    // parameter's percent-decoded name.

    @Test
    void aQueryNameIsFoundHoweverTheRequestEncodesIt() {
        HashKey page = HashKey.parse("query:page[id]");
        assertThat(HashKeyReader.keyOf(page, request("orders").path("/p?page[id]=7"))).isEqualTo("7");
        assertThat(HashKeyReader.keyOf(page, request("orders").path("/p?x=1&page%5Bid%5D=7"))).isEqualTo("7");
        assertThat(HashKeyReader.keyOf(page, request("orders").path("/p?page%5bid%5d=7"))).isEqualTo("7");

        assertThat(HashKeyReader.keyOf(HashKey.parse("query:user_id"), request("orders").path("/p?user%5Fid=42")))
                .isEqualTo("42");
        assertThat(HashKeyReader.keyOf(HashKey.parse("query:user id"), request("orders").path("/p?user+id=1")))
                .isEqualTo("1");
        assertThat(HashKeyReader.keyOf(HashKey.parse("query:café"), request("orders").path("/p?caf%C3%A9=2")))
                .isEqualTo("2");
        // Decoded, the name is another one: user%5Fid is user_id, never the literal text.
        assertThat(HashKeyReader.keyOf(HashKey.parse("query:user%5Fid"), request("orders").path("/p?user%5Fid=42")))
                .isNull();
    }

    @Test
    void aQueryValueIsPercentDecodedSoOneValueIsOneKey() {
        HashKey a = HashKey.parse("query:a");
        String plain = HashKeyReader.keyOf(a, request("orders").path("/p?a=b"));

        assertThat(plain).isEqualTo("b");
        assertThat(HashKeyReader.keyOf(a, request("orders").path("/p?a=%62"))).isEqualTo(plain);
        assertThat(HashKeyReader.keyOf(a, request("orders").path("/p?a=caf%C3%A9+au+lait"))).isEqualTo("café au lait");
    }

    // As the proxy's RequestHash.key: an empty value is no key, so such calls spread at random instead of
    // all hashing "" to one endpoint.

    @Test
    void anEmptyHeaderIsNoKey() {
        HashKey user = HashKey.parse("header:x-user");

        assertThat(HashKeyReader.keyOf(user, request("orders").header("x-user", ""))).isNull();
        // The proxy receives a field value without the blanks around it (RFC 9110 section 5.5).
        assertThat(HashKeyReader.keyOf(user, request("orders").header("x-user", " \t "))).isNull();
        assertThat(HashKeyReader.keyOf(user, request("orders").header("x-user", " u-7\t"))).isEqualTo("u-7");
        assertThat(HashKeyReader.keyOf(user, request("orders").header("x-user", "u 7"))).isEqualTo("u 7");
        // The first value counts, as the proxy's headers().get(name): an empty one is none.
        assertThat(HashKeyReader.keyOf(user, request("orders").header("x-user", "").header("x-user", "u-7")))
                .isNull();
    }

    @Test
    void anEmptyCookieIsNoKey() {
        HashKey session = HashKey.parse("cookie:session");

        assertThat(HashKeyReader.keyOf(session, request("orders").header("cookie", "session="))).isNull();
        assertThat(HashKeyReader.keyOf(session, request("orders").header("cookie", "a=1; session=  ; b=2"))).isNull();
        assertThat(HashKeyReader.keyOf(session, request("orders").header("cookie", "session=\"\""))).isNull();
        // The first pair with the name counts, as in the proxy, even when it is empty.
        assertThat(HashKeyReader.keyOf(session, request("orders").header("cookie", "session=; session=s-1"))).isNull();
    }

    @Test
    void anEmptyQueryParameterIsNoKey() {
        HashKey user = HashKey.parse("query:user");

        assertThat(HashKeyReader.keyOf(user, request("orders").path("/p?user="))).isNull();
        assertThat(HashKeyReader.keyOf(user, request("orders").path("/p?user&x=1"))).isNull();
        assertThat(HashKeyReader.keyOf(user, request("orders").path("/p?user=&user=5"))).isNull();
        assertThat(HashKeyReader.keyOf(user, request("orders").path("/p?user=%20"))).isEqualTo(" ");
    }

    @Test
    void anEmptyKeyOfTheRequestsOwnIsNoKey() {
        var call = request("orders").header("x-user", "u-7").hashKey("");

        assertThat(HashKeyReader.keyOf(HashKey.parse("header:x-user"), call)).isNull();
        assertThat(HashKeyReader.keyOf(null, call)).isNull();
    }

    // Cookies as the proxy's RequestHash.cookie reads them.

    @Test
    void aQuotedCookieValueIsTheSameKeyAsItsBareValue() {
        assertThat(cookieKey("id", "id=\"42\"")).isEqualTo("42");
        assertThat(cookieKey("id", "id=42")).isEqualTo("42");
        assertThat(cookieKey("id", "a=1; id=\"42\" ; b=2")).isEqualTo("42");
        // One pair of quotes, taken off after the value is trimmed; what is inside is kept as it is.
        assertThat(cookieKey("id", "id=\" 42 \"")).isEqualTo(" 42 ");
        assertThat(cookieKey("id", "id=\"\"42\"\"")).isEqualTo("\"42\"");
        // Not a pair of quotes: kept.
        assertThat(cookieKey("id", "id=\"")).isEqualTo("\"");
        assertThat(cookieKey("id", "id=\"42")).isEqualTo("\"42");
        assertThat(cookieKey("id", "id=4\"2\"")).isEqualTo("4\"2\"");
    }

    @Test
    void aCookieIsFoundByItsExactNameAcrossEveryCookieHeader() {
        // Every Cookie header, in order; the first pair with the name wins.
        assertThat(cookieKey("id", "a=1", "b=2; id=3", "id=4")).isEqualTo("3");
        // A name that is a prefix, or an extension, of another is not that other.
        assertThat(cookieKey("id", "idx=1; xid=2; i=3; id=4")).isEqualTo("4");
        assertThat(cookieKey("id", "idx=1")).isNull();
        // A pair without '=' is passed over, even one that is the name itself.
        assertThat(cookieKey("id", "flag; id; id=5")).isEqualTo("5");
        assertThat(cookieKey("id", "id")).isNull();
        // The value runs to the ';' and may hold '='; it is trimmed.
        assertThat(cookieKey("id", "id= a=b ;c=1")).isEqualTo("a=b");
        // Names are compared exactly: case matters, and a blank before the '=' makes another name.
        assertThat(cookieKey("id", "ID=6")).isNull();
        assertThat(cookieKey("id", "id =7")).isNull();
        // Spaces before a pair are skipped; a tab there is part of the name, as in the proxy. Blanks
        // around the whole header are not: the proxy never receives them.
        assertThat(cookieKey("id", "a=1;   id=8")).isEqualTo("8");
        assertThat(cookieKey("id", "a=1;\tid=9")).isNull();
        assertThat(cookieKey("id", "\t id=10\t")).isEqualTo("10");
        assertThat(cookieKey("id")).isNull();
        assertThat(cookieKey("id", "")).isNull();
    }

    /** The {@code cookie:NAME} key of a call with these {@code Cookie} headers. */
    private static String cookieKey(String name, String... cookieHeaders) {
        var call = request("orders");
        for (String header : cookieHeaders) {
            call = call.header("cookie", header);
        }
        return HashKeyReader.keyOf(HashKey.parse("cookie:" + name), call);
    }
}
