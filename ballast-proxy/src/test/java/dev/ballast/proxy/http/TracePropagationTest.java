package dev.ballast.proxy.http;

import dev.ballast.core.pick.Policies;
import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import dev.ballast.proxy.testing.TestConfigs;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static dev.ballast.proxy.testing.TestConfigs.endpoints;
import static dev.ballast.proxy.testing.TestConfigs.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/** Trace context and request ids as the upstream receives them, through a running proxy. */
class TracePropagationTest {

    private static final String TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
    private static final String PARENT_ID = "b7ad6b7169203331";

    private TestBackend backend;
    private ProxyServer proxy;

    @BeforeEach
    void start() {
        backend = TestBackend.named("svc");
        proxy = ProxyServer.start(TestConfigs.proxy(upstream("svc", Policies.ROUND_ROBIN, endpoints(backend))));
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    private HttpHeaders upstreamHeaders(String extraHeaders) throws IOException {
        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            assertThat(client.send("GET / HTTP/1.1\r\nHost: x\r\n" + extraHeaders + "\r\n").read().status()).isEqualTo(200);
        }
        return backend.lastRequest().headers();
    }

    @Test
    void keepsAValidTraceWithANewParentIdAndPassesTracestateAndRequestId() throws Exception {
        HttpHeaders sent = upstreamHeaders("traceparent: 00-" + TRACE_ID + "-" + PARENT_ID + "-01\r\n"
                + "tracestate: rojo=00f067aa0ba902b7,congo=t61rcWkgMzE\r\nX-Request-Id: req-42\r\n");

        String traceparent = sent.get("traceparent");
        assertThat(traceparent).matches("00-" + TRACE_ID + "-[0-9a-f]{16}-01");
        assertThat(traceparent.substring(36, 52)).isNotEqualTo(PARENT_ID);
        assertThat(sent.get("tracestate")).isEqualTo("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
        assertThat(sent.getAll("x-request-id")).containsExactly("req-42");
    }

    @Test
    void replacesAnInvalidTraceAndDropsItsTracestate() throws Exception {
        HttpHeaders sent = upstreamHeaders("traceparent: 00-" + TRACE_ID.toUpperCase() + "-" + PARENT_ID + "-01\r\n"
                + "tracestate: rojo=00f067aa0ba902b7\r\n");

        String traceparent = sent.get("traceparent");
        assertThat(traceparent).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-00").doesNotContain(TRACE_ID);
        assertThat(sent.contains("tracestate")).isFalse();
        assertThat(sent.get("x-request-id")).isEqualTo(traceparent.substring(3, 35));
    }

    @Test
    void startsATraceForEachRequestWithoutOne() throws Exception {
        String first = upstreamHeaders("").get("traceparent");
        String second = upstreamHeaders("").get("traceparent");

        assertThat(first).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-00");
        assertThat(second.substring(3, 35)).isNotEqualTo(first.substring(3, 35));
    }
}
