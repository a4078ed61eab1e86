package dev.ballast.proxy.http;

import dev.ballast.core.pick.Policies;
import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.config.LimitsConfig;
import dev.ballast.proxy.config.MatchConfig;
import dev.ballast.proxy.config.RouteConfig;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import dev.ballast.proxy.testing.TestConfigs;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.ballast.proxy.testing.TestConfigs.endpoints;
import static dev.ballast.proxy.testing.TestConfigs.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

/** The request target and Host as RFC 9112 §3.2 has a server check and read them. */
class ProxyRequestHeadTest {

    private TestBackend api;
    private TestBackend web;
    private ProxyServer proxy;
    private InetSocketAddress address;

    @BeforeEach
    void start() {
        api = TestBackend.named("api");
        web = TestBackend.named("web");
        List<RouteConfig> routes = List.of(
                new RouteConfig(null, new MatchConfig("api.example.com", null, null, null, Set.of(), Map.of(), Map.of()), "api"),
                new RouteConfig(null, new MatchConfig(null, null, "/", null, Set.of(), Map.of(), Map.of()), "web"));
        proxy = ProxyServer.start(TestConfigs.proxy(List.of(upstream("api", Policies.ROUND_ROBIN, endpoints(api)),
                upstream("web", Policies.ROUND_ROBIN, endpoints(web))), routes, LimitsConfig.defaults()));
        address = proxy.listenerAddresses().get(0);
    }

    @AfterEach
    void stop() {
        proxy.close();
        api.close();
        web.close();
    }

    private RawHttp.Response send(String head) throws IOException {
        try (RawHttp raw = RawHttp.connect(address)) {
            return raw.send(head).read();
        }
    }

    /** A 400 whose body says {@code says}, in the proxy's words, and none of {@code notSaid}. */
    private static void assertRefused(RawHttp.Response response, String says, String... notSaid) {
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.text()).contains(says);
        for (String words : notSaid) {
            assertThat(response.text()).doesNotContain(words);
        }
    }

    @Test
    void anAbsoluteFormTargetIsRoutedByItsHostAndForwardedInOriginForm() throws Exception {
        RawHttp.Response response = send("GET http://api.example.com/x?q=1 HTTP/1.1\r\nHost: public.example\r\n\r\n");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.text()).isEqualTo("api");
        assertThat(api.lastRequest().uri()).isEqualTo("/x?q=1");
        assertThat(api.lastRequest().headers().getAll("Host")).containsExactly("api.example.com");
        assertThat(send("GET HTTP://api.example.com HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(200);
        assertThat(api.lastRequest().uri()).isEqualTo("/");

        RawHttp.Response credentials = send("GET http://user:secret@api.example.com/ HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(credentials.status()).isEqualTo(400);
        assertThat(credentials.text()).doesNotContain("secret");
    }

    @Test
    void aRequestLineOfTheWrongShapeIsSaidSoInItsOwnTerms() throws Exception {
        assertRefused(send("GET HTTP/1.1\r\nHost: x\r\n\r\n"),
                "the request line needs a method, a target and a version", "HTTP/0.9");
        assertRefused(send("GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n"), "not a version like HTTP/1.1", "EXTRA");
        assertThat(web.requests()).isEmpty();
    }

    @Test
    void aTlsHandshakeOnThePlainListenerGetsA400SayingSoRatherThanOneAboutLineEndings() throws Exception {
        // The start of a ClientHello: record type 22, version 3.1, then handshake bytes, one of them a bare LF.
        assertRefused(send("\u0016\u0003\u0001\u0000\u00c8\u0001\u0000\u0000\u00c4\u0003\u0003\n\r\n\r\n"),
                "a TLS handshake on a plain-HTTP listener (use http://", "Line Feed");
        // A hello with no line feed at all is answered at once too, not after header_read_timeout.
        try (RawHttp client = RawHttp.connect(address).timeout(3_000)) {
            assertRefused(client.send("\u0016\u0003\u0001\u0000\u00c8\u0001\u0000\u0000\u00c4\u0003\u0003").read(),
                    "a TLS handshake on a plain-HTTP listener");
        }
        assertThat(web.requests()).isEmpty();
    }

    @Test
    void anHttp11RequestNeedsExactlyOneValidHost() throws Exception {
        assertThat(send("GET / HTTP/1.1\r\n\r\n").text()).contains("no Host header");
        assertThat(send("GET / HTTP/1.1\r\nHost: a.example\r\nHost: api.example.com\r\n\r\n").text())
                .contains("more than one Host header");
        for (String host : List.of("a b", "a/b@c", "a\tb", "a\"b", "x:abc", "x:-1", "x:65536", "x:080800", "x:1:2",
                "[::1", "[zz]:80", "[::1]x", "[::1]:http", "[1.2.3.4]", "a[b]", "evil.test,a.example.com",
                "a.example.com;x", "a%2eexample.com", "a*b", ":80")) {
            assertThat(send("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n").status()).as(host).isEqualTo(400);
        }
        assertThat(web.requests()).isEmpty();

        assertThat(send("GET / HTTP/1.0\r\n\r\n").status()).as("HTTP/1.0 may omit it").isEqualTo(200);
        for (String host : List.of("[::1]:8080", "[::1]", "[::ffff:127.0.0.1]", "x:65535", "x:", "a-b.example:80",
                "10.0.0.1:8080", "")) {
            assertThat(send("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n").status()).as(host).isEqualTo(200);
        }
    }

    @Test
    void anAbsoluteFormRequestStillNeedsExactlyOneValidHostThoughItsTargetNamesTheHost() throws Exception {
        assertThat(send("GET http://api.example.com/ HTTP/1.1\r\n\r\n").text()).contains("no Host header");
        assertThat(send("GET http://api.example.com/ HTTP/1.1\r\nHost: b\r\nHost: c\r\n\r\n").text())
                .contains("more than one Host header");
        assertThat(send("GET http://api.example.com/ HTTP/1.1\r\nHost: b c\r\n\r\n").status()).isEqualTo(400);
        assertThat(send("GET http://:80/x HTTP/1.1\r\nHost: b\r\n\r\n").text())
                .as("a port with no host").contains("the request target's host is missing or not valid");
        assertThat(api.requests()).isEmpty();
        assertThat(send("GET http://api.example.com/ HTTP/1.0\r\n\r\n").status()).as("HTTP/1.0 may omit it")
                .isEqualTo(200);
    }

    @Test
    void aDraft76WebSocketHandshakeIsRefusedAndClosedSoItsEightUndeclaredBytesNeverReachTheUpstream()
            throws Exception {
        try (RawHttp client = RawHttp.connect(address).timeout(5_000)) {
            // Netty's decoder reads 8 bytes after such a head as its body, though no header declares one.
            RawHttp.Response response = client.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: Sec-WebSocket-Key1\r\n"
                    + "Sec-WebSocket-Key1: a\r\nSec-WebSocket-Key2: b\r\n\r\nGET /x?a").read();

            assertThat(response.status()).isEqualTo(400);
            assertThat(response.text()).contains("draft-76 WebSocket handshake");
            assertThat(response.header("connection")).isEqualTo("close");
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(web.requests()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET foo HTTP/1.1", "GET * HTTP/1.1", "GET /a\u0001b HTTP/1.1", "GET /a\u007fb HTTP/1.1",
            "GET /a#frag HTTP/1.1"})
    void refusesATargetThatIsNoPathOrHasControlCharacters(String line) throws Exception {
        RawHttp.Response response = send(line + "\r\nHost: x\r\n\r\n");

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.text()).doesNotContain("\u0001", "\u007f");
        assertThat(web.requests()).isEmpty();
    }

    @Test
    void optionsAndTraceCountMaxForwardsDownAndTheProxyAnswersAtZero() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            RawHttp.Response options = raw.send("OPTIONS * HTTP/1.1\r\nHost: x\r\nMax-Forwards: 0\r\n\r\n").read();
            assertThat(options.status()).isEqualTo(200);
            assertThat(options.text()).contains("Max-Forwards: 0");
            RawHttp.Response trace = raw.send("TRACE / HTTP/1.1\r\nHost: x\r\nMax-Forwards: 0\r\n"
                    + "Cookie: session=secret\r\n\r\n").read();
            assertThat(trace.status()).isEqualTo(200);
            assertThat(trace.text()).as("not echoed: cross-site tracing").doesNotContain("secret");
            assertThat(web.requests()).as("answered on the same connection, sent nowhere").isEmpty();

            assertThat(raw.send("OPTIONS / HTTP/1.1\r\nHost: x\r\nMax-Forwards: 5\r\n\r\n").read().status())
                    .isEqualTo(200);
            assertThat(web.lastRequest().headers().get("Max-Forwards")).isEqualTo("4");
            raw.send("GET / HTTP/1.1\r\nHost: x\r\nMax-Forwards: 5\r\n\r\n").read();
            assertThat(web.lastRequest().headers().get("Max-Forwards")).as("only OPTIONS and TRACE").isEqualTo("5");
            raw.send("TRACE / HTTP/1.1\r\nHost: x\r\nMax-Forwards: x1\r\n\r\n").read();
            assertThat(web.lastRequest().headers().get("Max-Forwards")).as("no number: left as it is").isEqualTo("x1");
        }
    }

    @Test
    void aLastHopAnswerToARequestWithABodyClosesRatherThanWaitForTheBodyForever() throws Exception {
        for (String framing : List.of("Content-Length: 1000000\r\n", "Transfer-Encoding: chunked\r\n")) {
            try (RawHttp raw = RawHttp.connect(address)) {
                RawHttp.Response answer = raw.send("OPTIONS / HTTP/1.1\r\nHost: x\r\nMax-Forwards: 0\r\n" + framing
                        + "\r\nabc").read(); // and then nothing more
                assertThat(answer.status()).isEqualTo(200);
                assertThat(answer.header("connection")).isEqualTo("close");
                assertThat(raw.timeout(5_000).closedByPeer()).as(framing).isTrue();
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.openConnections() == 0);
    }

    @Test
    void aLastHopAnswerKeepsTheClientsWishToClose() throws Exception {
        for (String request : List.of("OPTIONS / HTTP/1.0\r\nMax-Forwards: 0\r\n\r\n",
                "OPTIONS / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nMax-Forwards: 0\r\n\r\n")) {
            try (RawHttp raw = RawHttp.connect(address)) {
                RawHttp.Response answer = raw.send(request).read();
                assertThat(answer.status()).isEqualTo(200);
                assertThat(answer.header("connection")).as(request).isEqualTo("close");
                assertThat(raw.timeout(5_000).closedByPeer()).as(request).isTrue();
            }
        }
    }

    @Test
    void routesOptionsStarAndPassesRawNonAsciiBytesThroughUnchanged() throws Exception {
        assertThat(send("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n").status())
                .as("a valid target, routed: no route here takes '*', which is not under /").isEqualTo(404);

        try (RawHttp raw = RawHttp.connect(address)) {
            byte[] cafe = "GET /caf\u00c3\u00a9?q=\u00c3\u00a9 HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
            assertThat(raw.send(cafe).read().status()).isEqualTo(200);
        }
        // The backend decodes the target byte for byte as ISO-8859-1 too: the same chars are the same bytes.
        assertThat(web.lastRequest().uri()).isEqualTo("/caf\u00c3\u00a9?q=\u00c3\u00a9");
    }

    @Test
    void addsADateToAResponseWithoutOneAndToItsOwnAnswers() throws Exception {
        RawHttp.Response proxied = send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        RawHttp.Response refused = send("GET / HTTP/1.1\r\n\r\n");

        for (RawHttp.Response response : List.of(proxied, refused)) {
            String date = response.header("date");
            assertThat(date).matches("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT");
            assertThat(ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME))
                    .isCloseTo(ZonedDateTime.now(), within(1, ChronoUnit.MINUTES));
        }
    }

    @Test
    void answers501ToATransferCodingOtherThanChunked() throws Exception {
        RawHttp.Response response = send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                + "5\r\nhello\r\n0\r\n\r\n");

        assertThat(response.status()).isEqualTo(501);
        assertThat(response.text()).contains("transfer coding 'gzip'");
        assertThat(web.requests()).isEmpty();
    }

    @Test
    void keepsAnUpstreamsTransferCodingNamedAsItRechunksTheBody() throws Exception {
        web.respondWith((ctx, request) -> ctx.pipeline().firstContext().writeAndFlush(Unpooled.copiedBuffer(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n4\r\nGZIP\r\n0\r\n\r\n",
                StandardCharsets.US_ASCII)));

        RawHttp.Response response = send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.header("transfer-encoding")).isEqualTo("gzip, chunked");
        assertThat(response.text()).isEqualTo("GZIP");
    }

    /** Framed by a length and by a coding (gzip, with bytes that read by the length are a second response; chunked). */
    @ParameterizedTest
    @ValueSource(strings = {
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 4\r\n\r\nGZIPHTTP/1.1 200 OK\r\n"
                    + "Content-Length: 7\r\n\r\nsmuggle",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n4\r\nabcd\r\n0\r\n\r\n"})
    void anUpstreamResponseWithBothTransferEncodingAndContentLengthIsA502AndItsConnectionNotReused(String answer)
            throws Exception {
        web.respondWith((ctx, request) -> ctx.pipeline().firstContext().writeAndFlush(Unpooled.copiedBuffer(answer,
                StandardCharsets.US_ASCII)));

        RawHttp.Response response = send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(response.status()).isEqualTo(502);
        assertThat(response.text()).contains("invalid response", "Transfer-Encoding", "Content-Length");
        web.respondWith((ctx, request) -> TestBackend.text(ctx, request, HttpResponseStatus.OK, "clean"));
        assertThat(send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").text()).isEqualTo("clean");
        assertThat(web.connections()).as("no connection that carried it was reused")
                .isEqualTo(web.requests().size());
    }

    @Test
    void anH2cUpgradeGoesUpstreamAsPlainHttp11() throws Exception {
        RawHttp.Response response = send("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");

        assertThat(response.status()).isEqualTo(200);
        assertThat(web.lastRequest().headers().names()).map(String::toLowerCase)
                .doesNotContain("upgrade", "connection", "http2-settings");

        send("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket, h2c\r\n\r\n");
        assertThat(web.lastRequest().headers().get("Upgrade")).as("the other protocols stay offered").isEqualTo("websocket");
    }

    @Test
    void answers505ToAnotherMajorVersionInAnHttp1RequestLine() throws Exception {
        assertThat(send("GET / HTTP/2.0\r\nHost: x\r\n\r\n").status()).isEqualTo(505);
        RawHttp.Response lowerCase = send("GET / http/1.0\r\nHost: x\r\n\r\n");
        assertThat(lowerCase.status()).as("the name is case-sensitive, not HTTP/1.0 with keep-alive").isEqualTo(400);
        assertThat(lowerCase.text()).contains("in capitals, as HTTP/1.0");
        assertThat(send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").status()).isEqualTo(505);
        assertThat(web.requests()).isEmpty();
        assertThat(send("GET / HTTP/1.2\r\nHost: x\r\n\r\n").status()).as("a later 1.x is read as 1.1").isEqualTo(200);
    }

    @Test
    void anHttp2ClientThatSendsItsFramesRightBehindThePrefaceStillGetsThe505NotAReset() throws Exception {
        try (RawHttp client = RawHttp.connect(address)) {
            client.send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").sendZeros(4 << 20); // frames, as far as it knows

            assertThat(client.readToEnd()).startsWith("HTTP/1.1 505 ");
        }
    }

    @Test
    void aRefusedHeadWhoseBodyIsStillComingGetsItsAnswerReadNotAReset() throws Exception {
        try (RawHttp client = RawHttp.connect(address)) {
            int length = 4 << 20;
            client.send("POST / HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: " + length + "\r\n\r\n")
                    .sendZeros(length);

            assertThat(client.readToEnd()).startsWith("HTTP/1.1 400 ").contains("more than one Host header");
        }
        assertThat(web.requests()).isEmpty();
    }

    @Test
    void anHttp10ExpectationIsIgnoredAndTheBodyForwarded() throws Exception {
        web.respondWith(TestBackend.digestEcho());
        RawHttp.Response response = send("POST / HTTP/1.0\r\nHost: x\r\nExpect: 100-continue\r\n"
                + "Content-Length: 3\r\n\r\nabc");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.text()).startsWith("3 ");
        assertThat(web.lastRequest().headers().contains("Expect")).isFalse();
    }

    @Test
    void dropsTrailerFieldsThatMayNotFollowTheBody() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"
                    + "Host: evil\r\nConnection: close\r\nX-Checksum: 42\r\nx-ballast-mirror: 1\r\n"
                    + "X-Forwarded-Host: admin\r\nX-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: https\r\n"
                    + "Via: 1.1 trusted\r\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n"
                    + "X-Request-Id: forged\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(200);
        }
        var trailers = web.lastRequest().trailers();
        assertThat(trailers.get("X-Checksum")).isEqualTo("42");
        assertThat(trailers.contains("Host")).isFalse();
        assertThat(trailers.contains("Connection")).isFalse();
        // The fields the proxy sets in the head: a recipient merging trailers in would take these for its own.
        assertThat(trailers.names()).extracting(name -> name.toLowerCase(java.util.Locale.ROOT))
                .doesNotContain("x-ballast-mirror", "x-forwarded-host", "x-forwarded-for", "x-forwarded-proto", "via",
                        "traceparent", "x-request-id");
    }
}
