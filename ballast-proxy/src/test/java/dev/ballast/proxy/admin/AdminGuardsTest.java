package dev.ballast.proxy.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.testing.AdminClient;
import dev.ballast.proxy.testing.ConfigFiles;
import dev.ballast.proxy.testing.ControlPathHold;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * What keeps the admin listener from being held or misused: its deadlines, its connection limit, and,
 * without a token, its refusal of what web pages send (cross-site changes, rebound names).
 */
class AdminGuardsTest {

    @TempDir
    Path dir;

    private final TestBackend backend = TestBackend.named("one");
    private ProxyServer proxy;
    private InetSocketAddress admin;

    private void start(String adminAndLimits) {
        Path file = dir.resolve("ballast.yaml");
        proxy = ProxyServer.start(ConfigFiles.write(file, """
                listeners:
                  - name: public
                    address: 127.0.0.1:0
                """ + adminAndLimits + """
                upstreams:
                  api:
                    endpoints: [%s]
                routes:
                  - match: { path_prefix: / }
                    upstream: api
                """.formatted(backend.address())), file, false);
        admin = proxy.adminAddress();
    }

    private void startOnLoopback() {
        start("""
                admin:
                  address: 127.0.0.1:0
                """);
    }

    /** On loopback, with one limit set, such as {@code "header_read_timeout: 300ms"}. */
    private void startWithLimits(String limit) {
        start("""
                admin:
                  address: 127.0.0.1:0
                limits:
                  %s
                """.formatted(limit));
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        backend.close();
    }

    private String drain(String headers) {
        return "POST /upstreams/api/endpoints/" + backend.address() + "/drain HTTP/1.1\r\nHost: 127.0.0.1:"
                + admin.getPort() + "\r\nContent-Length: 0\r\n" + headers + "\r\n";
    }

    @Test
    void aRequestNotWholeWithinHeaderReadTimeoutGets408AndTheConnectionCloses() throws Exception {
        startWithLimits("header_read_timeout: 300ms");
        try (RawHttp client = RawHttp.connect(admin).timeout(5_000)) {
            RawHttp.Response response = client.send("GET /status HTTP/1.1\r\nHost: localhost\r\nX-Slow: ").read();

            assertThat(response.status()).isEqualTo(408);
            assertThat(response.text()).contains("not complete within 300 ms");
            assertThat(client.closedByPeer()).isTrue();
        }
    }

    @Test
    void aNewConnectionThatSendsNothingClosesAfterHeaderReadTimeoutNotTheIdleTime() throws Exception {
        startWithLimits("header_read_timeout: 300ms");
        try (RawHttp client = RawHttp.connect(admin).timeout(5_000)) {
            assertThat(client.closedByPeer()).as("well before client_idle_timeout's 60 s").isTrue();
        }
    }

    @Test
    void aConnectionWaitingForNoRequestClosesAfterClientIdleTimeoutButOneAwaitingAnAnswerDoesNot()
            throws Exception {
        startWithLimits("client_idle_timeout: 400ms");
        try (RawHttp client = RawHttp.connect(admin).timeout(5_000)) {
            assertThat(client.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").read().status()).isEqualTo(200);
            assertThat(client.closedByPeer()).isTrue();
        }
        try (RawHttp client = RawHttp.connect(admin).timeout(5_000)) {
            assertThat(client.closedByPeer()).as("never sent a request").isTrue();
        }
        // A drain waits for the control path, held here for twice the idle time: its answer still comes.
        ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
        try (ControlPathHold held = ControlPathHold.of(proxy); RawHttp client = RawHttp.connect(admin).timeout(5_000)) {
            client.send(drain(""));
            later.schedule(held::release, 800, TimeUnit.MILLISECONDS);
            assertThat(client.read().status()).isEqualTo(200);
        } finally {
            later.shutdownNow();
        }
    }

    @Test
    void aConnectionPastTheLimitIsAnswered503AndClosedWhileTheOthersServe() throws Exception {
        startOnLoopback();
        List<RawHttp> open = new ArrayList<>();
        try {
            for (int i = 0; i < AdminDeadlines.MAX_CONNECTIONS; i++) {
                RawHttp client = RawHttp.connect(admin).timeout(5_000);
                open.add(client);
                assertThat(client.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").read().status())
                        .isEqualTo(200);
            }
            try (RawHttp oneTooMany = RawHttp.connect(admin).timeout(5_000)) {
                RawHttp.Response refused = oneTooMany.read();
                assertThat(refused.status()).isEqualTo(503);
                assertThat(refused.text()).contains("64 connections open already");
            }
            assertThat(open.getFirst().send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").read().status())
                    .isEqualTo(200);

            open.removeFirst().close();
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(AdminClient.of(admin).get("/healthz").statusCode()).isEqualTo(200));
        } finally {
            for (RawHttp client : open) {
                client.close();
            }
        }
    }

    @Test
    void withoutATokenAWebPagesCrossSiteChangeIsRefusedButCurlsAndTheSameOriginsAreNot() throws Exception {
        startOnLoopback();
        String self = "http://127.0.0.1:" + admin.getPort();
        try (RawHttp client = RawHttp.connect(admin).timeout(5_000)) {
            RawHttp.Response fromAPage = client.send(drain("Origin: https://evil.example\r\n")).read();
            assertThat(fromAPage.status()).isEqualTo(403);
            assertThat(fromAPage.text()).contains("Origin: https://evil.example");
            assertThat(client.send(drain("Sec-Fetch-Site: cross-site\r\n")).read().status()).isEqualTo(403);
            assertThat(client.send(drain("Origin: null\r\n")).read().status()).isEqualTo(403);
            assertThat(proxy.upstreams().get("api").balancer().members().getFirst().isDraining()).isFalse();

            assertThat(client.send(drain("Origin: " + self + "\r\nSec-Fetch-Site: same-origin\r\n")).read().status())
                    .isEqualTo(200);
            assertThat(client.send(drain("")).read().status()).as("curl sends neither").isEqualTo(200);
        }
        assertThat(proxy.upstreams().get("api").balancer().members().getFirst().isDraining()).isTrue();
    }

    @Test
    void withoutATokenANameOtherThanLocalhostIsRefusedForAPageCanPointItsOwnAtLoopback() throws Exception {
        startOnLoopback();
        try (RawHttp client = RawHttp.connect(admin).timeout(5_000)) {
            RawHttp.Response rebound = client.send("GET /status HTTP/1.1\r\nHost: rebind.example:9901\r\n\r\n").read();
            assertThat(rebound.status()).isEqualTo(403);
            assertThat(rebound.text()).contains("not for 'rebind.example:9901'", "set admin.token");
            for (String host : List.of("127.0.0.1:9901", "localhost:9901", "LOCALHOST", "localhost.", "[::1]:9901",
                    "app.localhost:9901", "10.1.2.3")) {
                assertThat(client.send("GET /healthz HTTP/1.1\r\nHost: " + host + "\r\n\r\n").read().status())
                        .as(host).isEqualTo(200);
            }
        }
    }

    @Test
    void withATokenAnyNameMayCallButAPageOfAnotherSiteStillChangesNothing() throws Exception {
        start("""
                admin:
                  address: 127.0.0.1:0
                  token: s3cret
                """);
        try (RawHttp client = RawHttp.connect(admin).timeout(5_000)) {
            assertThat(client.send("GET /healthz HTTP/1.1\r\nHost: ballast.internal:9901\r\nAuthorization: Bearer s3cret\r\n"
                    + "\r\n").read().status()).isEqualTo(200);
            // A browser that adds the token on its way (an extension, a local proxy) must not let any page drain.
            assertThat(client.send(drain("Authorization: Bearer s3cret\r\nOrigin: https://evil.example\r\n"
                    + "Sec-Fetch-Site: cross-site\r\n")).read().status()).isEqualTo(403);
            assertThat(draining()).isFalse();
            assertThat(client.send(drain("Authorization: Bearer s3cret\r\n")).read().status())
                    .as("a script sends no Origin").isEqualTo(200);
        }
    }

    private boolean draining() {
        return proxy.upstreams().get("api").balancer().members().getFirst().isDraining();
    }

    @Test
    void aRequestPipelinedBehindAnAnswerThatClosesTheConnectionIsNeverActedOn() throws Exception {
        startOnLoopback();
        try (RawHttp client = RawHttp.connect(admin).timeout(5_000)) {
            client.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" + drain(""));

            assertThat(client.read().header("connection")).isEqualTo("close");
            assertThat(client.closedByPeer()).isTrue();
        }
        try (RawHttp client = RawHttp.connect(admin).timeout(5_000)) {
            client.send("GET /healthz HTTP/1.0\r\n\r\n" + drain(""));
            assertThat(client.read().status()).isEqualTo(200);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(AdminClient.of(admin).get("/healthz").statusCode()).as("the admin loop has read both").isEqualTo(200);
        assertThat(draining()).isFalse();
    }

    @Test
    void aRequestOverTheSizeLimitBehindAPendingAnswerIsAnswered413InItsTurn() throws Exception {
        startOnLoopback();
        try (ControlPathHold held = ControlPathHold.of(proxy); RawHttp client = RawHttp.connect(admin).timeout(5_000)) {
            client.send(drain("") + "POST /reload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 70000\r\n\r\n"
                    + "x".repeat(1000));
            assertThat(AdminClient.of(admin).get("/healthz").statusCode()).isEqualTo(200); // both heads read
            held.release();

            assertThat(client.read().status()).as("the drain's answer first").isEqualTo(200);
            RawHttp.Response refused = client.read();
            assertThat(refused.status()).isEqualTo(413);
            assertThat(refused.text()).contains("at most 65536 bytes");
        }
    }

    @Test
    void aClientThatPipelinesOnBehindAPendingAnswerHasSixteenAnsweredThenItsConnectionClosed() throws Exception {
        startOnLoopback();
        try (ControlPathHold held = ControlPathHold.of(proxy); RawHttp client = RawHttp.connect(admin).timeout(5_000)) {
            client.send(drain("") + "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n".repeat(40));
            assertThat(AdminClient.of(admin).get("/healthz").statusCode()).isEqualTo(200);
            held.release();

            assertThat(client.read().status()).isEqualTo(200);
            for (int i = 1; i < 16; i++) {
                RawHttp.Response health = client.read();
                assertThat(health.text()).isEqualTo("ok\n");
                assertThat(health.header("connection")).as("answer %d", i).isEqualTo(i == 15 ? "close" : null);
            }
            assertThat(client.closedByPeer()).isTrue();
        }
    }

    @Test
    void aRequestBegunWhileAnAnswerWasPendingIsHeldToHeaderReadTimeoutOnceItIsOut() throws Exception {
        startWithLimits("header_read_timeout: 300ms");
        try (ControlPathHold held = ControlPathHold.of(proxy); RawHttp client = RawHttp.connect(admin).timeout(5_000)) {
            // A request whose body is still coming is read on while the drain's answer is pending.
            client.send(drain("") + "POST /reload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nabc");
            assertThat(AdminClient.of(admin).get("/healthz").statusCode()).isEqualTo(200); // both were read
            client.send("def");
            assertThat(AdminClient.of(admin).get("/healthz").statusCode()).isEqualTo(200); // and that too
            held.release();

            assertThat(client.read().status()).isEqualTo(200);
            RawHttp.Response late = client.read();
            assertThat(late.status()).as("not the 60 s idle close").isEqualTo(408);
        }
    }

    @Test
    void anExpectationIsNotAnsweredOnItsOwnTheRequestIsSimplyAnswered() throws Exception {
        startOnLoopback();
        try (RawHttp client = RawHttp.connect(admin).timeout(5_000)) {
            RawHttp.Response continued = client.send("POST /upstreams/api/endpoints/" + backend.address()
                    + "/enable HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}")
                    .read();
            assertThat(continued.status()).as("no 100 of its own, which could come out of turn").isEqualTo(200);
            RawHttp.Response unknown = client.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\nExpect: x-ray\r\n\r\n")
                    .read();
            assertThat(unknown.status()).as("no 417 of its own").isEqualTo(200);
        }
    }

    @Test
    void aRequestOverTheSizeLimitGets413AndTheConnectionServesOn() throws Exception {
        startOnLoopback();
        try (RawHttp client = RawHttp.connect(admin).timeout(5_000)) {
            RawHttp.Response refused = client.send("POST /reload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 70000"
                    + "\r\n\r\n" + "x".repeat(70_000)).read();
            assertThat(refused.status()).isEqualTo(413);
            assertThat(client.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").read().text()).isEqualTo("ok\n");
        }
        try (RawHttp client = RawHttp.connect(admin).timeout(5_000)) {
            RawHttp.Response refused = client.send("POST /reload HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                    + "Content-Length: 70000\r\n\r\n" + "x".repeat(70_000)).read();
            assertThat(refused.status()).isEqualTo(413);
            assertThat(refused.header("connection")).as("as the client asked").isEqualTo("close");
        }
    }

    @Test
    void aClientThatStopsReadingItsAnswersHasClientIdleTimeoutToCatchUpThenItsConnectionCloses() throws Exception {
        startWithLimits("client_idle_timeout: 500ms");
        AdminClient asking = AdminClient.of(admin); // one client, one kept-alive connection
        try (Socket slow = new Socket()) {
            slow.setReceiveBufferSize(2048); // so that its answers back up into the proxy
            slow.connect(admin, 5_000);
            slow.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n".repeat(200)
                    .getBytes(StandardCharsets.US_ASCII));
            await().atMost(Duration.ofSeconds(5)).until(() -> adminConnections(asking) == 2);

            // It never reads: once the answers fill its connection, it is closed, leaving the one asking.
            await().atMost(Duration.ofSeconds(10)).until(() -> adminConnections(asking) == 1);
        }
    }

    private static int adminConnections(AdminClient asking) throws Exception {
        return new ObjectMapper().readTree(asking.get("/status").body()).at("/admin/connections").asInt();
    }

    @Test
    void theRestOfABodyDroppedForItsSizeBeginsNoRequestSoTheConnectionGetsNo408() throws Exception {
        startWithLimits("header_read_timeout: 300ms");
        try (RawHttp client = RawHttp.connect(admin).timeout(5_000)) {
            client.send("POST /reload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 70000\r\n\r\n" + "x".repeat(1_000));
            assertThat(client.read().status()).isEqualTo(413);
            client.send("x".repeat(69_000)); // read after the answer: it is dropped, and ends the body

            client.timeout(1_000);
            assertThatThrownBy(client::read).as("no 408 for a request never begun")
                    .isInstanceOf(SocketTimeoutException.class);
            client.timeout(5_000);
            assertThat(client.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").read().text()).isEqualTo("ok\n");
        }
    }

    @Test
    void anAbsoluteFormTargetIsAnsweredAsItsPath() throws Exception {
        startOnLoopback();
        try (RawHttp client = RawHttp.connect(admin).timeout(5_000)) {
            RawHttp.Response response = client.send("GET http://127.0.0.1:" + admin.getPort() + "/healthz HTTP/1.1\r\n"
                    + "Host: 127.0.0.1:" + admin.getPort() + "\r\n\r\n").read();

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.text()).isEqualTo("ok\n");
            assertThat(client.send("GET HTTP://localhost HTTP/1.1\r\nHost: localhost\r\n\r\n").read().status())
                    .as("the dashboard at /").isEqualTo(200);
        }
    }
}
