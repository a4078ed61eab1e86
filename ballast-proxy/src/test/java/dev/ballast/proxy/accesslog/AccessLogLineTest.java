package dev.ballast.proxy.accesslog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ballast.core.state.EndpointState;
import dev.ballast.proxy.http.CutShort;
import dev.ballast.proxy.http.RequestRecord;
import dev.ballast.proxy.http.RequestRecords;
import dev.ballast.proxy.route.Route;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Random;

import static dev.ballast.proxy.http.RequestRecords.request;
import static org.assertj.core.api.Assertions.assertThat;

/** The bytes of one line. Routes need a live upstream, so route fields are covered by {@link AccessLogTest}. */
class AccessLogLineTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long NOW = Instant.parse("2025-01-31T12:34:56.798Z").toEpochMilli();

    /** Characters that take every path of the encoder: plain, escaped, 2, 3 and 4 bytes, lone surrogates. */
    private static final char[] ODD = {'a', 'Z', '0', ' ', '/', '"', '\\', '\n', '\r', '\t', '\u0000', '\u0008', '\u001f',
            '\u007f', '\u0080', '\u00e9', '\u00ff', '\u07ff', '\u0800', '\u20ac', '\ufffd', '\uffff', '\ud83d', '\ude00',
            '\udbff', '\udfff'};

    private static final CutShort[] CUT_SHORTS = CutShort.values();

    private final AccessLogLine line = new AccessLogLine();

    private String format(RequestRecord request, long nowMillis) {
        Chunk chunk = new Chunk(AccessLogLine.maxLength(request));
        line.write(request, nowMillis, chunk);
        assertThat(chunk.lines).isEqualTo(1);
        return new String(chunk.bytes, 0, chunk.length, StandardCharsets.UTF_8);
    }

    @Test
    void writesEveryFieldInOrderOnOneLine() {
        String text = format(request().bytes(5, 812).durationNanos(9_487_123).build(), NOW);

        // the time is when the request started: 9 ms before it ended
        assertThat(text).isEqualTo("{\"time\":\"2025-01-31T12:34:56.789Z\",\"client\":\"10.0.0.3\",\"method\":\"GET\","
                + "\"path\":\"/api/users/36\",\"status\":200,\"bytes_in\":5,\"bytes_out\":812,\"cut_short\":null,"
                + "\"duration_ms\":9.487,"
                + "\"upstream\":null,\"endpoint\":\"10.0.0.7:8080\",\"attempts\":1,\"route\":null,"
                + "\"trace_id\":\"" + RequestRecords.TRACE_ID + "\",\"span_id\":\"00f067aa0ba902b7\",\"parent_id\":null,"
                + "\"request_id\":\"" + RequestRecords.TRACE_ID + "\",\"user_agent\":\"curl/8.5.0\"}\n");
    }

    @Test
    void logsTheClientsParentIdAndRequestIdBesideTheSpanSentUpstream() throws Exception {
        JsonNode json = JSON.readTree(format(request().incomingTraceparent("00-" + RequestRecords.TRACE_ID
                + "-b7ad6b7169203331-01").requestId("req-42").build(), NOW));

        assertThat(json.get("trace_id").asText()).isEqualTo(RequestRecords.TRACE_ID);
        assertThat(json.get("span_id").asText()).isEqualTo("00f067aa0ba902b7");
        assertThat(json.get("parent_id").asText()).isEqualTo("b7ad6b7169203331");
        assertThat(json.get("request_id").asText()).isEqualTo("req-42");
    }

    @Test
    void logsTheClientsTraceAndRequestIdForARequestTheProxyAnsweredItself() throws Exception {
        JsonNode json = JSON.readTree(format(request().traceparent(null).incomingTraceparent("00-" + RequestRecords.TRACE_ID
                + "-b7ad6b7169203331-01").requestId("req-\"42\"").status(404).build(), NOW));

        assertThat(json.get("trace_id").asText()).isEqualTo(RequestRecords.TRACE_ID);
        assertThat(json.get("span_id").isNull()).as("nothing was sent upstream").isTrue();
        assertThat(json.get("parent_id").asText()).isEqualTo("b7ad6b7169203331");
        assertThat(json.get("request_id").asText()).isEqualTo("req-\"42\"");
    }

    @Test
    void writesNullForWhatTheRequestDidNotGetTo() throws Exception {
        String text = format(request().endpoint(null, 0).traceparent(null).userAgent(null)
                .status(404).durationNanos(0).build(), NOW);
        JsonNode json = JSON.readTree(text);

        assertThat(json.get("endpoint").isNull()).isTrue();
        assertThat(json.get("trace_id").isNull()).isTrue();
        assertThat(json.get("span_id").isNull()).isTrue();
        assertThat(json.get("parent_id").isNull()).isTrue();
        assertThat(json.get("request_id").isNull()).isTrue();
        assertThat(json.get("user_agent").isNull()).isTrue();
        assertThat(json.get("attempts").asInt()).isZero();
        assertThat(text).contains("\"duration_ms\":0.000,");
        assertThat(json.get("time").asText()).isEqualTo("2025-01-31T12:34:56.798Z");
    }

    @Test
    void escapesQuotesControlCharactersAndEncodesNonAsciiAsUtf8() throws Exception {
        String odd = "q\"b\\s\n\r\t\u0000\u0001\u001f\u007f caf\u00e9 \u00ff \u07ff \u0800 \u20ac \uffff \ud83d\ude00";
        String text = format(request().userAgent(odd).uri("/caf\u00e9?x=\"1\"").build(), NOW);

        assertThat(text).contains("\"user_agent\":\"q\\\"b\\\\s\\n\\r\\t\\u0000\\u0001\\u001f\u007f caf\u00e9 \u00ff \u07ff \u0800 \u20ac \uffff \ud83d\ude00\"}\n");
        assertThat(text).as("a lone byte 0xE9 is no UTF-8: escaped").contains("\"path\":\"/caf\\u00e9?x=\\\"1\\\"\"");
        JsonNode json = JSON.readTree(text);
        assertThat(json.get("user_agent").asText()).isEqualTo(odd);
        assertThat(json.get("path").asText()).isEqualTo("/caf\u00e9?x=\"1\"");
    }

    @Test
    void logsThePathAndUserAgentBytesAsSentWhenTheyAreUtf8() throws Exception {
        // As the decoder hands them on: one char per byte of "/été" and "café" sent in UTF-8.
        String path = new String("/\u00e9t\u00e9".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        String agent = new String("caf\u00e9".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        String text = format(request().uri(path).userAgent(agent + "\u00ff").build(), NOW);

        JsonNode json = JSON.readTree(text);
        assertThat(json.get("path").asText()).isEqualTo("/\u00e9t\u00e9");
        assertThat(json.get("user_agent").asText()).as("0xFF is no UTF-8: its escape names the byte")
                .isEqualTo("caf\u00e9\u00ff");
        assertThat(text).contains("\"user_agent\":\"caf\u00e9\\u00ff\"");
    }

    @Test
    void writesALoneSurrogateAsAQuestionMarkAsStringGetBytesDid() {
        String text = format(request().userAgent("a\ud800b\udc00c\ud83d").build(), NOW);

        assertThat(text).contains("\"user_agent\":\"a?b?c?\"");
    }

    @Test
    void neverWritesMoreThanMaxLength() {
        StringBuilder worst = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            worst.append((char) (i % 0x20)); // control characters: a 6-byte escape each
        }
        RequestRecord request = request().client(worst.toString()).method(worst.toString()).uri(worst.toString())
                .userAgent(worst.toString()).bytes(Long.MIN_VALUE, Long.MAX_VALUE).status(Integer.MIN_VALUE)
                .endpoint("h" + worst, Integer.MIN_VALUE).durationNanos(Long.MAX_VALUE)
                .incomingTraceparent("00-" + RequestRecords.TRACE_ID + "-b7ad6b7169203331-01")
                .requestId("\"".repeat(200))
                .cutShort(CutShort.UPSTREAM_TIMEOUT).build(); // the widest reason

        Chunk chunk = new Chunk(AccessLogLine.maxLength(request));
        line.write(request, Long.MAX_VALUE / 4, chunk); // a year far past 9999: the widest time

        assertThat(chunk.length).isLessThanOrEqualTo(chunk.bytes.length);
    }

    @Test
    void matchesTheStringFormatterByteForByte() {
        Random random = new Random(42);
        Chunk chunk = new Chunk(1 << 20);
        long now = NOW;
        for (int i = 0; i < 5_000; i++) {
            RequestRecord request = request().client(text(random, ODD)).method(text(random, ODD))
                    .uri(text(random, ODD)).userAgent(random.nextInt(5) == 0 ? null : text(random, ODD))
                    .endpoint(random.nextBoolean() ? null : "h" + text(random, ODD), random.nextInt(4))
                    .traceparent(random.nextBoolean() ? null : "00-" + RequestRecords.TRACE_ID + "-00f067aa0ba902b7-01")
                    .incomingTraceparent(random.nextBoolean() ? null : "00-" + RequestRecords.TRACE_ID + "-b7ad6b7169203331-01")
                    .requestId(random.nextBoolean() ? null : "id" + text(random, ODD).replaceAll("[^!-~]", ""))
                    .status(100 + random.nextInt(500)).bytes(random.nextLong(1L << 40), random.nextLong(1L << 40))
                    .durationNanos(random.nextInt(10) == 0 ? 0 : random.nextLong(100_000_000_000L))
                    .cutShort(random.nextBoolean() ? null : CUT_SHORTS[random.nextInt(CUT_SHORTS.length)]).build();
            now += random.nextInt(700); // crosses seconds, so the cached date changes
            chunk.clear();

            line.write(request, now, chunk);

            byte[] expected = StringFormatter.format(request, now).getBytes(StandardCharsets.UTF_8);
            assertThat(chunk.length).isEqualTo(expected.length).isLessThanOrEqualTo(AccessLogLine.maxLength(request));
            assertThat(Arrays.copyOf(chunk.bytes, chunk.length)).isEqualTo(expected);
        }
    }

    @Test
    void writesTheSameBytesForStringsThatRepeatAsForFreshOnes() {
        // client and method repeat as the same objects, as a connection's address and the config's
        // names do: 600 of them for the cache's 256 slots, so lines hit, miss and evict, and
        // equal texts in distinct objects each get their own slot
        Random random = new Random(7);
        String[] repeating = new String[600];
        for (int i = 0; i < repeating.length; i++) {
            repeating[i] = i % 3 == 0 && i > 0 ? new String(repeating[i - 1]) : text(random, ODD);
        }
        Chunk chunk = new Chunk(1 << 20);
        for (int i = 0; i < 20_000; i++) {
            RequestRecord request = request().client(pick(random, repeating)).method(pick(random, repeating))
                    .uri(text(random, ODD)).build();
            chunk.clear();

            line.write(request, NOW, chunk);

            byte[] expected = StringFormatter.format(request, NOW).getBytes(StandardCharsets.UTF_8);
            assertThat(Arrays.copyOf(chunk.bytes, chunk.length)).isEqualTo(expected);
        }
    }

    private static String pick(Random random, String[] strings) {
        return strings[random.nextInt(strings.length)];
    }

    private static String text(Random random, char[] alphabet) {
        char[] chars = new char[random.nextInt(12)];
        for (int i = 0; i < chars.length; i++) {
            chars[i] = alphabet[random.nextInt(alphabet.length)];
        }
        return new String(chars);
    }

    /** The formatter before issue 5 (a string per line, encoded by the writer): the reference for the bytes. */
    private static final class StringFormatter {

        private static final DateTimeFormatter SECOND = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss");
        private static final char[] HEX = "0123456789abcdef".toCharArray();

        static String format(RequestRecord request, long nowMillis) {
            StringBuilder line = new StringBuilder();
            long startMillis = nowMillis - request.durationNanos() / 1_000_000;
            line.append("{\"time\":\"");
            line.append(SECOND.format(LocalDateTime.ofEpochSecond(Math.floorDiv(startMillis, 1000), 0, ZoneOffset.UTC)));
            line.append('.').append(String.format("%03d", Math.floorMod(startMillis, 1000))).append('Z');
            line.append("\",\"client\":");
            string(line, request.client());
            line.append(",\"method\":");
            string(line, request.method());
            line.append(",\"path\":");
            bytes(line, request.uri());
            line.append(",\"status\":").append(request.status());
            line.append(",\"bytes_in\":").append(request.bytesIn());
            line.append(",\"bytes_out\":").append(request.bytesOut());
            line.append(",\"cut_short\":");
            string(line, request.cutShort() == null ? null : request.cutShort().label());
            long micros = Math.max(0, request.durationNanos()) / 1_000;
            line.append(",\"duration_ms\":").append(micros / 1_000).append('.').append(String.format("%03d", micros % 1_000));
            Route route = request.route();
            line.append(",\"upstream\":");
            string(line, route == null ? null : route.upstream().name());
            EndpointState endpoint = request.endpoint();
            line.append(",\"endpoint\":");
            string(line, endpoint == null ? null : endpoint.address());
            line.append(",\"attempts\":").append(request.attempts());
            line.append(",\"route\":");
            string(line, route == null ? null : route.name());
            String sent = request.traceparent() == null ? null : request.traceparent().toString();
            String incoming = request.incomingTraceparent();
            line.append(",\"trace_id\":");
            string(line, sent != null ? sent.substring(3, 35) : incoming == null ? null : incoming.substring(3, 35));
            line.append(",\"span_id\":");
            string(line, sent == null ? null : sent.substring(36, 52));
            line.append(",\"parent_id\":");
            string(line, incoming == null ? null : incoming.substring(36, 52));
            line.append(",\"request_id\":");
            string(line, request.requestId() != null ? request.requestId() : sent == null ? null : sent.substring(3, 35));
            line.append(",\"user_agent\":");
            bytes(line, request.userAgent());
            line.append("}\n");
            return line.toString();
        }

        /** Text as the client sent it, one char per byte: valid UTF-8 decoded, other bytes escaped. */
        static void bytes(StringBuilder line, String value) {
            if (value == null || value.chars().anyMatch(c -> c > 0xFF)) {
                string(line, value);
                return;
            }
            byte[] raw = value.getBytes(StandardCharsets.ISO_8859_1);
            StringBuilder decoded = new StringBuilder();
            for (int i = 0; i < raw.length; ) {
                int b = raw[i] & 0xFF;
                int size = b < 0x80 ? 1 : b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 0;
                String sequence = null;
                if (size > 0 && i + size <= raw.length) {
                    try {
                        sequence = StandardCharsets.UTF_8.newDecoder()
                                .decode(java.nio.ByteBuffer.wrap(raw, i, size)).toString();
                    } catch (java.nio.charset.CharacterCodingException malformed) {
                        sequence = null;
                    }
                }
                if (sequence != null) {
                    decoded.append(sequence);
                    i += size;
                } else {
                    decoded.append('\uE000').append((char) b); // a marker: escaped below as the byte it is
                    i++;
                }
            }
            StringBuilder quoted = new StringBuilder();
            string(quoted, decoded.toString().replaceAll("\uE000(.)", "\uE001$1"));
            String text = quoted.toString();
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < text.length(); i++) {
                if (text.charAt(i) == '\uE001') {
                    out.append("\\u00").append(HEX[text.charAt(i + 1) >> 4]).append(HEX[text.charAt(i + 1) & 0xf]);
                    i++;
                } else {
                    out.append(text.charAt(i));
                }
            }
            line.append(out);
        }

        static void string(StringBuilder line, CharSequence value) {
            if (value == null) {
                line.append("null");
                return;
            }
            line.append('"');
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                switch (c) {
                    case '"' -> line.append("\\\"");
                    case '\\' -> line.append("\\\\");
                    case '\n' -> line.append("\\n");
                    case '\r' -> line.append("\\r");
                    case '\t' -> line.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            line.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
                        } else {
                            line.append(c);
                        }
                    }
                }
            }
            line.append('"');
        }
    }
}
