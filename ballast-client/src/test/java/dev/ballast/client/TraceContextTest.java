package dev.ballast.client;

import dev.ballast.client.testing.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;

import static dev.ballast.client.ClientRequest.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class TraceContextTest {

    @Test
    void parsesAndFormatsTheSpecificationsExample() {
        String header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

        TraceContext trace = TraceContext.parse(header, null).orElseThrow();

        assertThat(trace.sampled()).isTrue();
        assertThat(trace.traceparent()).isEqualTo(header);
    }

    @Test
    void readsAFutureVersionAsVersionZero() {
        TraceContext trace = TraceContext.parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-extra", null)
                .orElseThrow();

        assertThat(trace.sampled()).isFalse();
        assertThat(trace.traceparent()).isEqualTo("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01", // zero trace id
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", // zero span id
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", // upper case
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // forbidden version
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", // version 00 with extra fields
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",   // short trace id
            ""})
    void rejectsMalformedHeaders(String header) {
        assertThat(TraceContext.parse(header, null)).isEmpty();
    }

    @Test
    void aTraceStateNoHeaderCouldCarryIsDroppedAndTheTraceKept() {
        String header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

        assertThat(TraceContext.parse(header, "vendor=1\u0001")).hasValueSatisfying(trace -> {
            assertThat(trace.traceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
            assertThat(trace.traceState()).isEmpty();
        });
        assertThat(TraceContext.parse(header, "vendor=\u007f")).hasValueSatisfying(
                trace -> assertThat(trace.traceState()).isEmpty());
        assertThat(TraceContext.parse(header, "a=1,\tb=2")).hasValueSatisfying(
                trace -> assertThat(trace.traceState()).isEqualTo("a=1,\tb=2"));
        assertThatIllegalArgumentException().isThrownBy(() -> TraceContext.of("4bf92f3577b34da6a3ce929d0e0e4736",
                        "00f067aa0ba902b7", true, "vendor=\n1"))
                .withMessageStartingWith("trace state: a character no header carries");
    }

    @Test
    void callsInATraceWhoseInboundStateWasMalformedStillGoOut() {
        try (Backend backend = Backend.start("b");
             BallastClient client = BallastClient.builder()
                     .service(ServiceConfig.builder("svc").endpoints(backend.address()).build()).build()) {
            CallContext inbound = CallContext.fromHeaders(Map.of(
                    "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                    "tracestate", "v=1\u0001")::get);

            assertThat(client.send(request("svc").context(inbound)).status()).isEqualTo(200);
            assertThat(backend.requests().getFirst().getFirst("traceparent")).contains("4bf92f3577b34da6a3ce929d0e0e4736");
            assertThat(backend.requests().getFirst().containsKey("tracestate")).isFalse();
        }
    }

    @Test
    void aTimeoutHeaderInDigitsOtherThanAsciiIsNoDeadline() {
        assertThat(CallContext.fromHeaders(Map.of("x-ballast-timeout-ms", "٥٠٠")::get).hasDeadline()).isFalse();
        assertThat(CallContext.fromHeaders(Map.of("x-ballast-timeout-ms", "500")::get).hasDeadline()).isTrue();
    }

    @Test
    void aChildKeepsTheTraceAndGetsANewSpan() {
        TraceContext parent = TraceContext.newRoot();

        TraceContext child = parent.child();

        assertThat(child.traceId()).isEqualTo(parent.traceId());
        assertThat(child.spanId()).isNotEqualTo(parent.spanId()).hasSize(16);
        assertThat(TraceContext.parse(child.traceparent(), null)).contains(child);
    }
}
