package dev.ballast.proxy.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class TraceContextTest {

    private static final Pattern VERSION_00 = Pattern.compile("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String VALID = "00-" + TRACE_ID + "-00f067aa0ba902b7-01";

    private static HttpHeaders headers(String... namesAndValues) {
        HttpHeaders headers = new DefaultHttpHeaders();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            headers.add(namesAndValues[i], namesAndValues[i + 1]);
        }
        return headers;
    }

    @Test
    void validTraceparentKeepsTraceIdAndFlagsWithANewParentId() {
        HttpHeaders headers = headers("traceparent", VALID, "tracestate", "vendor=abc,other=1");

        AsciiString sent = TraceContext.propagate(headers, new RequestRecord());

        assertThat(headers.get("traceparent")).isEqualTo(sent.toString()).matches(VERSION_00);
        assertThat(sent.toString()).startsWith("00-" + TRACE_ID + "-").endsWith("-01");
        assertThat(sent.toString().substring(36, 52)).isNotEqualTo("00f067aa0ba902b7").isNotEqualTo("0000000000000000");
        assertThat(headers.get("tracestate")).isEqualTo("vendor=abc,other=1");
        assertThat(TraceContext.traceId(sent).toString()).isEqualTo(TRACE_ID);
    }

    @Test
    void flagsVersion00DoesNotDefineAreSentAsZero() {
        HttpHeaders headers = headers("traceparent", "00-" + TRACE_ID + "-00f067aa0ba902b7-ff");

        AsciiString sent = TraceContext.propagate(headers, new RequestRecord());

        assertThat(sent.toString()).startsWith("00-" + TRACE_ID + "-").endsWith("-03"); // sampled and random
    }

    @Test
    void aClientsRequestIdGoesOnUnlessEmptyOverlongOrRepeated() {
        HttpHeaders given = headers("x-request-id", "req-42");
        TraceContext.propagate(given, new RequestRecord());
        assertThat(given.getAll("x-request-id")).containsExactly("req-42");

        HttpHeaders empty = headers("x-request-id", "");
        AsciiString sent = TraceContext.propagate(empty, new RequestRecord());
        assertThat(empty.getAll("x-request-id")).containsExactly(TraceContext.traceId(sent).toString());

        HttpHeaders overlong = headers("x-request-id", "x".repeat(TraceContext.MAX_REQUEST_ID_LENGTH + 1));
        sent = TraceContext.propagate(overlong, new RequestRecord());
        assertThat(overlong.getAll("x-request-id")).containsExactly(TraceContext.traceId(sent).toString());

        HttpHeaders repeated = headers("x-request-id", "first", "x-request-id", "second");
        TraceContext.propagate(repeated, new RequestRecord());
        assertThat(repeated.getAll("x-request-id")).containsExactly("first");
    }

    @Test
    void aRequestIdWithASpaceATabOrANonAsciiCharacterGivesWayToTheTraceId() {
        for (String unusable : new String[] {"req 42", "req\t42", "caf\u00e9"}) {
            HttpHeaders headers = headers("x-request-id", unusable);
            RequestRecord record = new RequestRecord();

            AsciiString sent = TraceContext.propagate(headers, record);

            assertThat(headers.getAll("x-request-id")).as(unusable).containsExactly(TraceContext.traceId(sent).toString());
            assertThat(record.requestId()).as("logged as the trace id").isNull();
        }
        HttpHeaders visible = headers("x-request-id", "a\"b=c/~!");
        TraceContext.propagate(visible, new RequestRecord());
        assertThat(visible.getAll("x-request-id")).containsExactly("a\"b=c/~!");
    }

    @Test
    void laterVersionIsReadAsVersion00AndSentAsVersion00() {
        HttpHeaders headers = headers("traceparent", "cc-" + TRACE_ID + "-00f067aa0ba902b7-01-what-comes-next");

        AsciiString sent = TraceContext.propagate(headers, new RequestRecord());

        assertThat(sent.toString()).matches(VERSION_00).startsWith("00-" + TRACE_ID + "-");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "00-" + TRACE_ID + "-00f067aa0ba902b7-01-extra",       // version 00 has exactly 55 characters
            "ff-" + TRACE_ID + "-00f067aa0ba902b7-01",             // version ff is forbidden
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", // upper case
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01", // zero trace id
            "00-" + TRACE_ID + "-0000000000000000-01",             // zero parent id
            "00-" + TRACE_ID + "-00f067aa0ba902b7",                // no flags
            "00_" + TRACE_ID + "_00f067aa0ba902b7_01",             // wrong separators
            "01-" + TRACE_ID + "-00f067aa0ba902b7-01x",            // later version without a dash after the fields
            "not a traceparent"})
    void invalidTraceparentStartsAFreshTraceAndDropsTracestate(String invalid) {
        HttpHeaders headers = headers("traceparent", invalid, "tracestate", "vendor=abc");

        AsciiString sent = TraceContext.propagate(headers, new RequestRecord());

        assertThat(sent.toString()).matches(VERSION_00).endsWith("-00");
        assertThat(TraceContext.traceId(sent).toString()).isNotEqualTo(TRACE_ID);
        assertThat(headers.contains("tracestate")).isFalse();
    }

    @Test
    void twoTraceparentHeadersAreInvalid() {
        HttpHeaders headers = headers("traceparent", VALID, "traceparent", VALID);

        AsciiString sent = TraceContext.propagate(headers, new RequestRecord());

        assertThat(TraceContext.traceId(sent).toString()).isNotEqualTo(TRACE_ID);
        assertThat(headers.getAll("traceparent")).containsExactly(sent.toString());
    }

    @Test
    void missingTraceparentGetsARandomNonZeroTraceEachTime() {
        Set<String> traceIds = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            HttpHeaders headers = headers();
            AsciiString sent = TraceContext.propagate(headers, new RequestRecord());
            assertThat(sent.toString()).matches(VERSION_00);
            assertThat(TraceContext.isValid(sent.toString())).isTrue();
            traceIds.add(TraceContext.traceId(sent).toString());
        }
        assertThat(traceIds).hasSize(1000);
    }

    @Test
    void requestIdIsKeptWhenSentAndIsTheTraceIdOtherwise() {
        HttpHeaders withId = headers("x-request-id", "abc-123");
        TraceContext.propagate(withId, new RequestRecord());
        assertThat(withId.getAll("x-request-id")).containsExactly("abc-123");

        HttpHeaders withoutId = headers("traceparent", VALID);
        TraceContext.propagate(withoutId, new RequestRecord());
        assertThat(withoutId.get("x-request-id")).isEqualTo(TRACE_ID);
    }
}
