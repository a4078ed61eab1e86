package dev.ballast.proxy.http;

import dev.ballast.proxy.config.HashKey;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RequestTargetTest {

    @Test
    void pathDropsQueryAndFragmentAndAuthorityOfAbsoluteForm() {
        assertThat(RequestTarget.path("/a/b")).isEqualTo("/a/b");
        assertThat(RequestTarget.path("/a/b?x=1#f")).isEqualTo("/a/b");
        assertThat(RequestTarget.path("http://host:8080/a?x")).isEqualTo("/a");
        assertThat(RequestTarget.path("http://host:8080")).isEqualTo("/");
        assertThat(RequestTarget.path("?x")).isEqualTo("?x");
        assertThat(RequestTarget.path("*")).isEqualTo("*");
    }

    @Test
    void aQueryHashKeyFindsABracketedOrEncodedNameAndDecodesItsValue() {
        HashKey page = HashKey.parse("query:page[id]");
        HashKey user = HashKey.parse("query:user_id");

        assertThat(RequestHash.key(page, get("/p?page[id]=7"), "/p", "10.0.0.1")).isEqualTo("7");
        assertThat(RequestHash.key(page, get("/p?page%5Bid%5D=7"), "/p", "10.0.0.1")).isEqualTo("7");
        assertThat(RequestHash.key(user, get("/p?user%5Fid=42"), "/p", "10.0.0.1")).isEqualTo("42");
        assertThat(RequestHash.key(user, get("/p?bad%zz=1&user%5Fid=a%62"), "/p", "10.0.0.1")).isEqualTo("ab");
        assertThat(RequestHash.key(user, get("/p?user%5Fid="), "/p", "10.0.0.1")).isNull();
    }

    private static HttpRequest get(String uri) {
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
    }

    @Test
    void hashKeyComesFromEachConfiguredSource() {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/cart/9?tenant=acme");
        request.headers().add("X-User-Id", "u-7").add("Cookie", "a=1; session=\"abc\"").add("Cookie", "z=2");

        assertThat(RequestHash.key(new HashKey(HashKey.Source.HEADER, "x-user-id"), request, "/cart/9", "10.0.0.1"))
                .isEqualTo("u-7");
        assertThat(RequestHash.key(new HashKey(HashKey.Source.COOKIE, "session"), request, "/cart/9", "10.0.0.1"))
                .isEqualTo("abc");
        assertThat(RequestHash.key(new HashKey(HashKey.Source.COOKIE, "z"), request, "/cart/9", "10.0.0.1"))
                .isEqualTo("2");
        assertThat(RequestHash.key(new HashKey(HashKey.Source.COOKIE, "missing"), request, "/cart/9", "10.0.0.1"))
                .isNull();
        assertThat(RequestHash.key(new HashKey(HashKey.Source.QUERY, "tenant"), request, "/cart/9", "10.0.0.1"))
                .isEqualTo("acme");
        assertThat(RequestHash.key(new HashKey(HashKey.Source.CLIENT_IP, ""), request, "/cart/9", "10.0.0.1"))
                .isEqualTo("10.0.0.1");
        assertThat(RequestHash.key(new HashKey(HashKey.Source.PATH, ""), request, "/cart/9", "10.0.0.1"))
                .isEqualTo("/cart/9");
    }

    @Test
    void aHashKeyIsPercentDecodedFromTheQueryAndAnEmptyValueIsNoKey() {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET,
                "/p?user=a%62&name=Jo+Ann&blank=&bad=%zz");
        request.headers().add("X-User-Id", "").add("Cookie", "session=");
        HashKey.Source query = HashKey.Source.QUERY;

        assertThat(RequestHash.key(new HashKey(query, "user"), request, "/p", "10.0.0.1")).isEqualTo("ab");
        assertThat(RequestHash.key(new HashKey(query, "name"), request, "/p", "10.0.0.1")).isEqualTo("Jo Ann");
        assertThat(RequestHash.key(new HashKey(query, "bad"), request, "/p", "10.0.0.1")).isEqualTo("%zz");
        assertThat(RequestHash.key(new HashKey(query, "blank"), request, "/p", "10.0.0.1")).isNull();
        assertThat(RequestHash.key(new HashKey(HashKey.Source.HEADER, "x-user-id"), request, "/p", "10.0.0.1")).isNull();
        assertThat(RequestHash.key(new HashKey(HashKey.Source.COOKIE, "session"), request, "/p", "10.0.0.1")).isNull();
    }

    @Test
    void hopByHopStripsConnectionListedHeaders() {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        request.headers().add("Connection", "close, X-A").add("Connection", "x-b ,").add("X-A", "1").add("X-B", "2")
                .add("TE", "trailers").add("X-Keep", "3");

        HopByHop.strip(request.headers());

        assertThat(request.headers().names()).containsExactly("X-Keep");
    }
}
