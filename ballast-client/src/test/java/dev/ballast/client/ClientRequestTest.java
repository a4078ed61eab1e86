package dev.ballast.client;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static dev.ballast.client.ClientRequest.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClientRequestTest {

    @Test
    void changesMakeCopiesAndLeaveTheOriginalAlone() {
        ClientRequest original = request("orders").path("/v1/orders/42");

        ClientRequest changed = original.method("put").body("{}").header("X-Trace", "1").timeout(Duration.ofSeconds(1));

        assertThat(original.method()).isEqualTo("GET");
        assertThat(original.headers()).isEmpty();
        assertThat(original.timeout()).isEmpty();
        assertThat(changed.method()).isEqualTo("PUT");
        assertThat(changed.isIdempotent()).isTrue();
        assertThat(changed.path()).isEqualTo("/v1/orders/42");
        assertThat(changed.header("x-trace")).contains("1");
    }

    @Test
    void headersAreCaseInsensitiveAndKeepTheirOrder() {
        ClientRequest request = request("orders")
                .header("Accept", "text/plain").header("accept", "application/json").header("X-A", "a");

        assertThat(request.header("ACCEPT")).contains("text/plain");
        assertThat(request.headerValues("accept")).containsExactly("text/plain", "application/json");
        assertThat(request.headers()).containsEntry("Accept", List.of("text/plain", "application/json"));
        assertThat(request.setHeader("accept", "*/*").headerValues("Accept")).containsExactly("*/*");
        assertThat(request.removeHeader("ACCEPT").headers()).containsOnlyKeys("X-A");
        assertThat(request.removeHeader("missing")).isSameAs(request);
    }

    @Test
    void rejectsWhatCannotBeSent() {
        assertThatThrownBy(() -> request("orders").header("bad name", "x")).hasMessageContaining("RFC 9110 token");
        assertThatThrownBy(() -> request("orders").header("x", "a\r\nb")).hasMessageContaining("CR or LF");
        // What the JDK refuses later, and Latin-1, which its HTTP/1.1 writer sends as '?'.
        for (String value : new String[] {"a\u0001b", "a\u007fb", "\u65e5\u672c", "caf\u00e9"}) {
            assertThatThrownBy(() -> request("orders").header("x-v", value)).as(value)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("header x-v: value has character U+");
        }
        assertThat(request("orders").header("x-v", "cafe\tok").headers().get("x-v")).isNotNull();
        for (String framing : new String[] {"Transfer-Encoding", "te", "Trailer", "Keep-Alive", "Proxy-Connection"}) {
            // Sent as given over a body the client frames its own way: the request would read two ways.
            assertThatThrownBy(() -> request("orders").header(framing, "chunked")).as(framing)
                    .hasMessageContaining("framing and connection headers are the HTTP client's own");
        }
        assertThatThrownBy(() -> request("orders").path("//elsewhere/x")).hasMessageContaining("not //host");
        assertThatThrownBy(() -> request("orders").path("/x#frag")).hasMessageContaining("#fragment");
        assertThatThrownBy(() -> request("orders").method("GE T")).hasMessageContaining("HTTP method token");
        assertThatThrownBy(() -> request("orders").method("GET(")).as("not a token character, which the JDK refuses")
                .hasMessageContaining("HTTP method token");
        assertThatThrownBy(() -> request("orders").method("connect")).hasMessageContaining("CONNECT opens a tunnel");
        assertThat(request("orders").method("PROPFIND").method()).isEqualTo("PROPFIND");
        assertThatThrownBy(() -> request(" ")).hasMessageContaining("service: empty");
        assertThatThrownBy(() -> request("orders").timeout(Duration.ZERO)).hasMessageContaining("expected: positive");
    }

    @Test
    void onlyRfc9110IdempotentMethodsAreIdempotent() {
        assertThat(List.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"))
                .allSatisfy(method -> assertThat(request("s").method(method).isIdempotent()).isTrue());
        assertThat(List.of("POST", "PATCH", "LOCK"))
                .allSatisfy(method -> assertThat(request("s").method(method).isIdempotent()).isFalse());
    }
}
