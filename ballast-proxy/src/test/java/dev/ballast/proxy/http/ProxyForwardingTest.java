package dev.ballast.proxy.http;

import dev.ballast.core.pick.Policies;
import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.config.LimitsConfig;
import dev.ballast.proxy.config.MatchConfig;
import dev.ballast.proxy.config.RouteConfig;
import dev.ballast.proxy.config.UpstreamConfig;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import dev.ballast.proxy.testing.TestConfigs;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import static dev.ballast.proxy.testing.TestConfigs.endpoints;
import static dev.ballast.proxy.testing.TestConfigs.upstream;
import static org.assertj.core.api.Assertions.assertThat;

class ProxyForwardingTest {

    private TestBackend api;
    private TestBackend web;
    private ProxyServer proxy;
    private InetSocketAddress address;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() {
        api = TestBackend.named("api");
        web = TestBackend.named("web");
        UpstreamConfig apiUpstream = upstream("api", Policies.ROUND_ROBIN, endpoints(api));
        UpstreamConfig webUpstream = upstream("web", Policies.ROUND_ROBIN, endpoints(web));
        List<RouteConfig> routes = List.of(
                route(new MatchConfig("api.example.com", null, null, null, Set.of(), Map.of(), Map.of()), "api"),
                route(new MatchConfig(null, "/login", null, null, Set.of("POST"), Map.of(), Map.of()), "api"),
                route(new MatchConfig(null, null, null, Pattern.compile("/user/[0-9]+"), Set.of(),
                        Map.of("X-Canary", "always"), Map.of()), "api"),
                route(new MatchConfig(null, null, "/search", null, Set.of(), Map.of(), Map.of("engine", "api")), "api"),
                route(new MatchConfig(null, null, "/", null, Set.of(), Map.of(), Map.of()), "web"));
        proxy = ProxyServer.start(TestConfigs.proxy(List.of(apiUpstream, webUpstream), routes, LimitsConfig.defaults()));
        address = proxy.listenerAddresses().get(0);
    }

    @AfterEach
    void stop() {
        proxy.close();
        api.close();
        web.close();
    }

    private static RouteConfig route(MatchConfig match, String upstream) {
        return new RouteConfig(null, match, upstream);
    }

    private HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + path))
                .timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void forwardsRequestAndStreamsBackResponse() throws Exception {
        HttpResponse<String> response = get("/hello?x=1");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("web");
        assertThat(web.lastRequest().uri()).isEqualTo("/hello?x=1");
        assertThat(web.lastRequest().method()).isEqualTo("GET");
    }

    @Test
    void routesByHostPathMethodHeaderAndQueryFirstMatchWins() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET /anything HTTP/1.1\r\nHost: API.example.com:8080\r\n\r\n");
            assertThat(raw.read().text()).isEqualTo("api");
            raw.send("POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
            assertThat(raw.read().text()).isEqualTo("api");
            raw.send("GET /login HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().text()).as("GET does not match the POST-only route").isEqualTo("web");
            raw.send("GET /user/42 HTTP/1.1\r\nHost: x\r\nX-Canary: always\r\n\r\n");
            assertThat(raw.read().text()).isEqualTo("api");
            raw.send("GET /user/42 HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().text()).as("header condition missing").isEqualTo("web");
            raw.send("GET /user/42x HTTP/1.1\r\nHost: x\r\nX-Canary: always\r\n\r\n");
            assertThat(raw.read().text()).as("regex must match the whole path").isEqualTo("web");
            raw.send("GET /search?q=1&engine=api HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().text()).isEqualTo("api");
            raw.send("GET /search?engine=web HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().text()).isEqualTo("web");
        }
    }

    @Test
    void answers404WithReasonWhenNoRouteMatches() throws Exception {
        proxy.close();
        proxy = ProxyServer.start(TestConfigs.proxy(List.of(upstream("api", Policies.ROUND_ROBIN, endpoints(api))),
                List.of(route(new MatchConfig(null, "/only", null, null, Set.of(), Map.of(), Map.of()), "api")),
                LimitsConfig.defaults()));
        address = proxy.listenerAddresses().get(0);

        HttpResponse<String> response = get("/elsewhere");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).contains("no route for GET /elsewhere");
        assertThat(api.requests()).isEmpty();
        assertThat(get("/only").body()).as("the connection stays usable").isEqualTo("api");
        for (String request : List.of("GET /elsewhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                "GET /elsewhere HTTP/1.0\r\n\r\n")) {
            try (RawHttp raw = RawHttp.connect(address)) {
                RawHttp.Response notFound = raw.send(request).read();
                assertThat(notFound.status()).isEqualTo(404);
                assertThat(raw.closedByPeer()).as("closed as asked: %s", request).isTrue();
            }
        }
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET /elsewhere HTTP/1.1\r\nHost: x\r\n\r\n").finishSending();
            assertThat(raw.read().status()).as("answered, though the end of stream came with the request").isEqualTo(404);
        }
    }

    @Test
    void aRefusalThatLingersIsSentThoughTheEndOfStreamCameWithTheRequest() throws Exception {
        // A refusal of a request that may still be sending reads and drops what comes (a lingering
        // close); the end of stream read with the request must not close before that answer is sent.
        for (String refused : List.of("GET / HTTP/2.0\r\nHost: x\r\n\r\n",
                "POST /only HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: teapot\r\n\r\nhello")) {
            try (RawHttp raw = RawHttp.connect(address)) {
                raw.send(refused).finishSending();
                assertThat(raw.read().status()).as(refused).isIn(417, 505);
            }
        }
    }

    @Test
    void stripsHopByHopHeadersTowardsUpstream() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET /h HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\n"
                    + "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\nTrailer: X-T\r\n"
                    + "Upgrade: h2c\r\nX-Kept: yes\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(200);
        }
        var headers = web.lastRequest().headers();
        assertThat(headers.names()).map(String::toLowerCase)
                .doesNotContain("connection", "x-secret", "keep-alive", "proxy-connection", "te", "trailer", "upgrade");
        assertThat(headers.get("X-Kept")).isEqualTo("yes");
    }

    @Test
    void connectionCannotStripTheBodysLengthOrTheHostSoNoRequestIsSmuggled() throws Exception {
        String smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("POST /form HTTP/1.1\r\nHost: x\r\nConnection: Content-Length, Host\r\nContent-Length: "
                    + smuggled.length() + "\r\n\r\n" + smuggled);
            assertThat(raw.read().status()).isEqualTo(200);
            raw.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(200);
        }

        assertThat(web.requests()).extracting(TestBackend.Recorded::uri).containsExactly("/form", "/next");
        TestBackend.Recorded form = web.requests().get(0);
        assertThat(form.bodyLength()).isEqualTo(smuggled.length());
        assertThat(form.headers().get("Host")).isEqualTo("x");
    }

    @Test
    void stripsHopByHopHeadersFromResponse() throws Exception {
        web.respondWith((ctx, request) -> {
            var extra = new DefaultHttpHeaders()
                    .set("Connection", "X-Internal")
                    .set("X-Internal", "secret")
                    .set("Keep-Alive", "timeout=5")
                    .set("Proxy-Connection", "keep-alive")
                    .set("Upgrade", "h2c")
                    .set("X-Kept", "yes");
            TestBackend.respond(ctx, request, HttpResponseStatus.OK, extra, "body");
        });
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response response = raw.read();

            assertThat(response.headers()).doesNotContainKeys("x-internal", "keep-alive", "proxy-connection", "upgrade");
            assertThat(response.header("connection")).isNull();
            assertThat(response.header("x-kept")).isEqualTo("yes");
            assertThat(response.text()).isEqualTo("body");
        }
    }

    @Test
    void setsForwardedHeadersAppendingTheClientAddress() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET / HTTP/1.1\r\nHost: shop.example.com\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n");
            raw.read();
            raw.send("GET / HTTP/1.1\r\nHost: shop.example.com\r\n\r\n");
            raw.read();
        }
        var appended = web.requests().get(0).headers();
        assertThat(appended.get("X-Forwarded-For")).isEqualTo("203.0.113.7, 127.0.0.1");
        assertThat(appended.get("X-Forwarded-Proto")).isEqualTo("http");
        assertThat(appended.get("X-Forwarded-Host")).isEqualTo("shop.example.com");
        assertThat(appended.get("Host")).as("Host preserved by default").isEqualTo("shop.example.com");
        assertThat(web.requests().get(1).headers().get("X-Forwarded-For")).isEqualTo("127.0.0.1");
    }

    @Test
    void anHttp10ClientWithoutAHostCannotChooseTheForwardedHost() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET / HTTP/1.0\r\nX-Forwarded-Host: evil.example\r\n\r\n");
            raw.read();
        }
        assertThat(web.lastRequest().headers().contains("X-Forwarded-Host")).as("it sent no Host to forward").isFalse();
    }

    @Test
    void aClientCannotChooseTheSchemeHostPrefixOrAddressAServiceBelievesThroughOtherForwardingHeaders()
            throws Exception {
        String forged = "Forwarded: for=10.0.0.1;host=admin.internal;proto=https\r\nX-Forwarded-Port: 443\r\n"
                + "X-Forwarded-Prefix: //evil.example\r\nX-Forwarded-Ssl: on\r\nX-Forwarded-Scheme: https\r\n"
                + "X-Forwarded-Server: admin.internal\r\nX-Real-IP: 10.0.0.1\r\n";
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET / HTTP/1.1\r\nHost: shop.example.com\r\n" + forged + "\r\n");
            assertThat(raw.read().status()).isEqualTo(200);
            raw.send("POST / HTTP/1.1\r\nHost: shop.example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "1\r\na\r\n0\r\n" + forged + "\r\n");
            assertThat(raw.read().status()).isEqualTo(200);
        }
        List<String> forwarding = List.of("forwarded", "x-forwarded-port", "x-forwarded-prefix", "x-forwarded-ssl",
                "x-forwarded-scheme", "x-forwarded-server", "x-real-ip");
        TestBackend.Recorded head = web.requests().get(0);
        assertThat(forwarding).allSatisfy(name -> assertThat(head.headers().contains(name)).as(name).isFalse());
        assertThat(head.headers().get("X-Forwarded-Host")).isEqualTo("shop.example.com");
        assertThat(head.headers().get("X-Forwarded-Proto")).isEqualTo("http");
        TestBackend.Recorded trailed = web.requests().get(1);
        assertThat(forwarding).allSatisfy(name -> assertThat(trailed.trailers().contains(name)).as(name).isFalse());
    }

    @Test
    void addsViaWithTheVersionTheClientSpokeAfterWhatEarlierProxiesAdded() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET / HTTP/1.1\r\nHost: shop.example.com\r\nVia: 1.1 edge.example.com\r\n\r\n");
            raw.read();
            raw.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            raw.read();
        }
        assertThat(web.requests().get(0).headers().getAll("Via")).containsExactly("1.1 edge.example.com", "1.1 ballast");
        assertThat(web.requests().get(1).headers().getAll("Via")).containsExactly("1.0 ballast");
    }

    @Test
    void rewritesHostWhenHostHeaderSaysEndpointOrLiteral() throws Exception {
        proxy.close();
        UpstreamConfig byEndpoint = TestConfigs.withHostHeader(upstream("api", Policies.ROUND_ROBIN, endpoints(api)),
                UpstreamConfig.HOST_ENDPOINT);
        UpstreamConfig literal = TestConfigs.withHostHeader(upstream("web", Policies.ROUND_ROBIN, endpoints(web)),
                "internal.svc");
        proxy = ProxyServer.start(TestConfigs.proxy(List.of(byEndpoint, literal), List.of(
                route(new MatchConfig(null, null, "/api", null, Set.of(), Map.of(), Map.of()), "api"),
                TestConfigs.routeAll("web")), LimitsConfig.defaults()));
        address = proxy.listenerAddresses().get(0);

        get("/api", "X-Test", "1");
        get("/web");

        assertThat(api.lastRequest().headers().get("Host")).isEqualTo(api.address());
        assertThat(api.lastRequest().headers().get("X-Forwarded-Host")).isEqualTo("127.0.0.1:" + address.getPort());
        assertThat(web.lastRequest().headers().get("Host")).isEqualTo("internal.svc");
    }

    @Test
    void keepsClientConnectionAliveAcrossRequests() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            for (int i = 0; i < 5; i++) {
                raw.send("GET /k" + i + " HTTP/1.1\r\nHost: x\r\n\r\n");
                RawHttp.Response response = raw.read();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.header("connection")).isNull();
            }
        }
        assertThat(web.requests()).hasSize(5);
    }

    @Test
    void servesPipelinedRequestsInOrder() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET /p1 HTTP/1.1\r\nHost: x\r\n\r\nGET /p2 HTTP/1.1\r\nHost: api.example.com\r\n\r\n"
                    + "GET /p3 HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().text()).isEqualTo("web");
            assertThat(raw.read().text()).isEqualTo("api");
            assertThat(raw.read().text()).isEqualTo("web");
        }
    }

    @Test
    void answersAFullPipelineDepthOfRequestsSentInOneWriteAndKeepsTheConnection() throws Exception {
        int depth = ProxyPipeline.MAX_PIPELINE_DEPTH;
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send(pipelined(depth));
            for (int i = 0; i < depth; i++) {
                RawHttp.Response response = raw.read();
                assertThat(response.status()).as("response %d", i).isEqualTo(200);
                assertThat(response.header("connection")).isNull();
            }
            raw.send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().text()).isEqualTo("web");
        }
        assertThat(web.requests()).extracting(TestBackend.Recorded::uri).startsWith("/p0", "/p1").endsWith("/after");
    }

    @Test
    void answersTheRequestsUpToThePipelineDepthInOrderThenClosesRatherThanDroppingThemAll() throws Exception {
        int depth = ProxyPipeline.MAX_PIPELINE_DEPTH;
        try (RawHttp raw = RawHttp.connect(address)) {
            // 16 KiB in one write: the proxy's reads grow past the depth's worth of requests.
            raw.send(pipelined(4 * depth));
            List<String> answered = new ArrayList<>();
            RawHttp.Response last = null;
            while (answered.size() < 4 * depth) {
                try {
                    last = raw.read();
                } catch (IOException closed) {
                    break;
                }
                assertThat(last.status()).isEqualTo(200);
                answered.add(last.text());
            }
            // RFC 9112 §9.3.2: a server may close a pipelined connection; the client retries the rest.
            assertThat(answered).as("every request taken in is answered").hasSizeGreaterThanOrEqualTo(depth);
            assertThat(last.header("connection")).as("the last answer says it is the last").isEqualTo("close");
            assertThat(raw.closedByPeer()).isTrue();
        }
        assertThat(web.requests()).extracting(TestBackend.Recorded::uri).as("in order, none skipped")
                .isEqualTo(IntStream.range(0, web.requests().size()).mapToObj(i -> "/p" + i).toList());
    }

    @Test
    void aMalformedQueryEscapeBehindAPipelinedRequestIsAnsweredNotLeftHanging() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET /p0 HTTP/1.1\r\nHost: x\r\n\r\nGET /search?engine=%zz HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().text()).isEqualTo("web");
            RawHttp.Response second = raw.read();
            assertThat(second.status()).as("the query route does not match; the catch-all does").isEqualTo(200);
            assertThat(second.text()).isEqualTo("web");
        }
    }

    private static String pipelined(int count) {
        StringBuilder requests = new StringBuilder();
        for (int i = 0; i < count; i++) {
            requests.append("GET /p").append(i).append(" HTTP/1.1\r\nHost: x\r\n\r\n");
        }
        return requests.toString();
    }

    @Test
    void closesAfterResponseWhenClientAsks() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            RawHttp.Response response = raw.read();
            assertThat(response.header("connection")).isEqualTo("close");
            assertThat(raw.closedByPeer()).isTrue();
        }
    }

    @Test
    void http10ClientGetsKeepAliveOnlyWhenAsked() throws Exception {
        web.respondWith(TestBackend.chunkedParts("a", "b"));
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET / HTTP/1.0\r\n\r\n");
            RawHttp.Response response = raw.read();
            assertThat(response.text()).as("no chunked for HTTP/1.0: the body ends at close").isEqualTo("ab");
            assertThat(raw.closedByPeer()).isTrue();
        }
        web.respondWith(null);
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            RawHttp.Response response = raw.read();
            assertThat(response.header("connection")).isEqualToIgnoringCase("keep-alive");
            raw.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            assertThat(raw.read().text()).isEqualTo("web");
        }
    }

    @Test
    void headAnswerKeepsLengthButHasNoBody() throws Exception {
        web.respondWith((ctx, request) -> TestBackend.text(ctx, request, HttpResponseStatus.OK, "twelve bytes"));
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response head = raw.read(true);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("content-length")).isEqualTo("12");
            // Nothing but the next response may follow on the connection.
            raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().text()).isEqualTo("twelve bytes");
        }
        assertThat(web.requests().get(0).method()).isEqualTo("HEAD");
    }

    @Test
    void noContentAndNotModifiedCarryNoBody() throws Exception {
        web.respondWith((ctx, request) -> {
            HttpResponseStatus status = request.uri().equals("/204") ? HttpResponseStatus.NO_CONTENT
                    : HttpResponseStatus.NOT_MODIFIED;
            var headers = new DefaultHttpHeaders().set("ETag", "\"v1\"");
            if (status == HttpResponseStatus.NO_CONTENT) {
                headers.set("Content-Length", "0");
            }
            TestBackend.respond(ctx, request, status, headers, "");
        });
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET /204 HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response noContent = raw.read();
            raw.send("GET /304 HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"v1\"\r\n\r\n");
            RawHttp.Response notModified = raw.read();
            raw.send("GET /204 HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response again = raw.read();

            assertThat(noContent.status()).isEqualTo(204);
            assertThat(noContent.header("transfer-encoding")).isNull();
            assertThat(notModified.status()).isEqualTo(304);
            assertThat(notModified.header("etag")).isEqualTo("\"v1\"");
            assertThat(notModified.header("transfer-encoding")).isNull();
            assertThat(again.status()).as("no stray body bytes in between").isEqualTo(204);
        }
    }

    @Test
    void streamsChunkedRequestBodyWithTrailers() throws Exception {
        web.respondWith(TestBackend.digestEcho());
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 11\r\n\r\n");
            RawHttp.Response response = raw.read();
            assertThat(response.text()).startsWith("11 ");
        }
        assertThat(web.lastRequest().headers().get("Transfer-Encoding")).isEqualTo("chunked");
        assertThat(web.lastRequest().trailers().get("X-Sum")).isEqualTo("11");
    }

    @Test
    void rechunksResponseWithoutLengthAndForwardsTrailers() throws Exception {
        web.respondWith(TestBackend.chunkedParts("one,", "two,", "three"));
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response response = raw.read();

            assertThat(response.header("transfer-encoding")).isEqualTo("chunked");
            assertThat(response.text()).isEqualTo("one,two,three");
            assertThat(response.trailers()).containsEntry("x-checksum", List.of("abc"));
        }
    }

    @Test
    void answers100ContinueThenForwardsTheBody() throws Exception {
        web.respondWith(TestBackend.digestEcho());
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("PUT /doc HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
            RawHttp.Response interim = raw.read();
            assertThat(interim.status()).isEqualTo(100);
            raw.send("abcde");
            RawHttp.Response response = raw.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.text()).startsWith("5 ");
        }
        assertThat(web.lastRequest().headers().contains("Expect")).as("the upstream must not wait too").isFalse();
    }

    @Test
    void expectContinueWorksWithJavaHttpClient() throws Exception {
        web.respondWith(TestBackend.digestEcho());
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + "/up"))
                .expectContinue(true)
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString("twelve bytes"))
                .build();

        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).startsWith("12 ");
    }

    @Test
    void rejectsUnknownExpectationWith417() throws Exception {
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("PUT /doc HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: teapot\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(417);
        }
    }

    @Test
    void emptyListElementsAroundAnExpectationAreSkipped() throws Exception {
        for (String expect : List.of("Expect: 100-continue,", "Expect: , 100-Continue")) {
            try (RawHttp raw = RawHttp.connect(address)) {
                raw.send("PUT /doc HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n" + expect + "\r\n\r\n");
                assertThat(raw.read().status()).as(expect).isEqualTo(100);
                raw.send("hello");
                assertThat(raw.read().status()).as(expect).isEqualTo(200);
            }
        }
        try (RawHttp raw = RawHttp.connect(address)) {
            raw.send("PUT /doc HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue, teapot\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(417);
        }
    }

    @Test
    void anEmptyExpectAsksForNothingAndTheRequestGoesThrough() throws Exception {
        for (String empty : List.of("Expect:", "Expect: ", "Expect: , ,")) {
            try (RawHttp raw = RawHttp.connect(address)) {
                raw.send("PUT /doc HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n" + empty + "\r\n\r\nhello");
                RawHttp.Response response = raw.read();
                assertThat(response.status()).as(empty).isEqualTo(200);
                assertThat(response.text()).isEqualTo("web");
            }
            assertThat(web.lastRequest().headers().contains("Expect")).as(empty).isFalse();
            assertThat(web.lastRequest().bodyLength()).as(empty).isEqualTo(5);
        }
    }
}
