package dev.ballast.client;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.pick.Policies;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServiceConfigTest {

    @Test
    void defaultsMatchTheProxysUpstreamDefaults() {
        ServiceConfig config = ServiceConfig.builder("orders").endpoints("127.0.0.1:9001", "[::1]:9002").build();

        assertThat(config.balancer()).isEqualTo(Policies.ROUND_ROBIN);
        assertThat(config.connectTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.responseTimeout()).isEqualTo(Duration.ofSeconds(15));
        assertThat(config.panicThreshold()).isEqualTo(0.5);
        assertThat(config.retries().attempts()).isZero();
        assertThat(config.outlierDetection()).isNull();
        assertThat(config.maxRequests()).isEqualTo(1024);
        assertThat(config.endpoints()).containsExactly(Endpoint.of("127.0.0.1", 9001), Endpoint.of("::1", 9002));
    }

    @Test
    void reportsEveryProblemWithItsPath() {
        assertThatThrownBy(() -> ServiceConfig.builder("orders")
                .balancer("fastest")
                .responseTimeout(Duration.ZERO)
                .panicThreshold(1.5)
                .maxRequests(0)
                .hedging(new ServiceConfig.Hedging(1, Duration.ofMillis(10), 2))
                .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("services.orders.balancer: 'fastest' (expected one of: round-robin,")
                .hasMessageContaining("services.orders.response_timeout: PT0S (expected: positive, at most 365 days)")
                .hasMessageContaining("services.orders.panic_threshold: 1.5 (expected: 0..1)")
                .hasMessageContaining("services.orders.circuit_breaker.max_requests: 0 (expected: >= 1)")
                .hasMessageContaining("services.orders.hedging.max_attempts: 1 (expected: 2..10)")
                .hasMessageContaining("services.orders.hedging.percentile: 2.0");
    }

    @Test
    void aDurationTooLongForAClockIsReportedWithItsPathNotAnOverflowLater() {
        Duration forever = ChronoUnit.FOREVER.getDuration();
        assertThatThrownBy(() -> ServiceConfig.builder("orders")
                .connectTimeout(forever)
                .slowStart(forever)
                .hedging(ServiceConfig.Hedging.fixed(forever))
                .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("services.orders.connect_timeout: " + forever + " (expected: positive, at most 365 days)")
                .hasMessageContaining("services.orders.slow_start: " + forever)
                .hasMessageContaining("services.orders.hedging.delay: " + forever);
    }

    @Test
    void aHashKeyNeedsAHashBalancer() {
        assertThatThrownBy(() -> ServiceConfig.builder("orders").hashKey("header:x-user").build())
                .hasMessageContaining("services.orders.hash_key: set, but balancer round-robin ignores it");
    }

    @Test
    void anEndpointThatCannotBeAUriIsRefusedWhereItIsGiven() {
        assertThatThrownBy(() -> ServiceConfig.builder("orders").endpoints("127.0.0.1:9001", "my_svc:80"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'my_svc:80' cannot be used in a URI (java.net.URI takes no '_' or other non-URI character"
                        + " in a host name)");
    }

    @Test
    void parsesTheProxysHashKeyForms() {
        assertThat(ServiceConfig.HashKey.parse("header:X-User-Id").toString()).isEqualTo("header:X-User-Id");
        assertThat(ServiceConfig.HashKey.parse("cookie:session").source()).isEqualTo(ServiceConfig.HashKey.Source.COOKIE);
        assertThat(ServiceConfig.HashKey.parse("query:user").name()).isEqualTo("user");
        assertThat(ServiceConfig.HashKey.parse("path").source()).isEqualTo(ServiceConfig.HashKey.Source.PATH);
        assertThatThrownBy(() -> ServiceConfig.HashKey.parse("client-ip"))
                .hasMessageContaining("client-ip is for the proxy");
        assertThatThrownBy(() -> ServiceConfig.HashKey.parse("header:"))
                .hasMessageContaining("without a name");
        assertThatThrownBy(() -> ServiceConfig.HashKey.parse("query:a&b"))
                .hasMessageContaining("a query parameter name may not hold '&', '=' or '#', which delimit the query");
    }

    @Test
    void aHeaderOrCookieHashKeyNameIsATokenInCodeAsInTheYaml() {
        // The YAML reader's words (ServiceConfigsTest), with hash_key: for the path it has not.
        assertThatThrownBy(() -> ServiceConfig.HashKey.parse("header:bad name"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("hash_key: 'header:bad name': 'bad name' is not a valid header name"
                        + " (expected: header:NAME, cookie:NAME, query:NAME or path)");
        assertThatThrownBy(() -> ServiceConfig.HashKey.parse("cookie:a;b"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("hash_key: 'cookie:a;b': 'a;b' is not a valid cookie name"
                        + " (expected: header:NAME, cookie:NAME, query:NAME or path)");
        for (String name : List.of("page[id]", "a:b", "a\"b", "caf\u00e9", "a/b", "a\u0001b")) {
            assertThatThrownBy(() -> new ServiceConfig.HashKey(ServiceConfig.HashKey.Source.HEADER, name))
                    .as(name).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + name + "' is not a valid header name");
        }
        assertThatThrownBy(() -> ServiceConfig.builder("orders").balancer(Policies.RING_HASH).hashKey("header:x user"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'x user' is not a valid header name");
        // Every token character.
        assertThat(ServiceConfig.HashKey.parse("header:X-User_Id.v2~!#$%&'*+^`|").name())
                .isEqualTo("X-User_Id.v2~!#$%&'*+^`|");
        assertThat(ServiceConfig.HashKey.parse("cookie: __Host-session ").name()).isEqualTo("__Host-session");
    }

    @Test
    void aQueryHashKeyTakesAnyNameABackendCanBeSentButBlankOnesDelimitersAndControlCharacters() {
        // Written decoded, as the proxy's query:NAME (compared with each parameter's decoded name).
        assertThat(ServiceConfig.HashKey.parse("query:page[id]").name()).isEqualTo("page[id]");
        assertThat(ServiceConfig.HashKey.parse("query:a.b:c").name()).isEqualTo("a.b:c");
        assertThat(ServiceConfig.HashKey.parse(" query: user id ").name()).isEqualTo("user id");
        assertThat(ServiceConfig.HashKey.parse("query:café")).hasToString("query:café");

        for (String delimited : List.of("query:a&b", "query:a=b", "query:a#b")) {
            assertThatThrownBy(() -> ServiceConfig.HashKey.parse(delimited))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("hash_key: '" + delimited + "': a query parameter name may not hold '&', '=' or '#',"
                            + " which delimit the query (expected: the name as the backend reads it, decoded,"
                            + " e.g. query:page[id])");
        }
        assertThatThrownBy(() -> ServiceConfig.HashKey.parse("query:a\u0001b"))
                .hasMessageContaining("a query parameter name may not hold a control character (U+0001)");
        assertThatThrownBy(() -> ServiceConfig.HashKey.parse("query:user\tid"))
                .hasMessageContaining("a query parameter name may not hold a control character (U+0009)");
        assertThatThrownBy(() -> ServiceConfig.HashKey.parse("query:   "))
                .hasMessage("hash_key: query without a name (expected: header:NAME, cookie:NAME or query:NAME)");
        assertThatThrownBy(() -> new ServiceConfig.HashKey(ServiceConfig.HashKey.Source.QUERY, " \t "))
                .hasMessage("hash_key: query without a name (expected: header:NAME, cookie:NAME or query:NAME)");
    }

    @Test
    void anEndpointListedTwiceIsRefusedWithItsPathWhateverTheCaseOfItsHostName() {
        assertThatThrownBy(() -> ServiceConfig.builder("b").endpoints("10.0.0.1:80", "api.internal:80", "10.0.0.1:80",
                "API.internal:80").build())
                .hasMessage("services.b.endpoints[2]: duplicate endpoint 10.0.0.1:80 (also endpoints[0])\n"
                        + "services.b.endpoints[3]: duplicate endpoint API.internal:80 (also endpoints[1])");
    }

    @Test
    void aClientNeedsUniqueServices() {
        ServiceConfig orders = ServiceConfig.builder("orders").build();

        assertThatThrownBy(() -> BallastClient.builder().service(orders).service(orders))
                .hasMessage("services.orders: configured twice (expected: unique names)");
        assertThatThrownBy(() -> BallastClient.builder().build()).hasMessageContaining("services: none");
    }

    @Test
    void requestsRejectHeadersTheHttpClientOwns() {
        assertThatThrownBy(() -> ClientRequest.request("orders").header("Host", "example.com"))
                .hasMessageContaining("header Host: framing and connection headers are the HTTP client's own");
        assertThatThrownBy(() -> ClientRequest.request("orders").path("orders"))
                .hasMessageContaining("expected: starting with /");
        assertThatThrownBy(() -> ClientRequest.request("orders").path("/a b"))
                .hasMessageContaining("not a valid URI path");
    }
}
