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

    @Test
    void theQueryEndsAtAFragment() {
        assertThat(HashKeyReader.queryParameter("/p#f?user=1", "user")).isNull();
        assertThat(HashKeyReader.queryParameter("/p?a=1#f&user=2", "user")).isNull();
        assertThat(HashKeyReader.queryParameter("/p?user=1#f", "user")).isEqualTo("1");
        assertThat(HashKeyReader.queryParameter("/p?user#f", "user")).isEqualTo("");
    }

    @Test
    void aMalformedEscapeIsComparedAsSentAndBreaksNoOtherParameter() {
        // ClientRequest.path refuses a malformed escape (java.net.URI does), so the reader is asked directly.
        assertThat(HashKeyReader.queryParameter("/p?bad%zz=1&user%5Fid=42", "user_id")).isEqualTo("42");
        assertThat(HashKeyReader.queryParameter("/p?bad%=1&x=%4&user%5Fid=42", "user_id")).isEqualTo("42");
        assertThat(HashKeyReader.queryParameter("/p?a%zz=1", "a%zz")).isEqualTo("1");
        // A malformed value is still a key, as sent; %+1 is malformed (URLDecoder would read it as byte 1).
        assertThat(HashKeyReader.queryParameter("/p?a=%zz", "a")).isEqualTo("%zz");
        assertThat(HashKeyReader.queryParameter("/p?a=%+1", "a")).isEqualTo("%+1");
    }
}
