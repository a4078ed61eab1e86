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
}
