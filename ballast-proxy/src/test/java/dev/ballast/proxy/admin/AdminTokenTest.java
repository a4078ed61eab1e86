package dev.ballast.proxy.admin;

import dev.ballast.core.config.HostPort;
import dev.ballast.core.pick.Policies;
import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.config.AdminConfig;
import dev.ballast.proxy.config.ConfigLoader;
import dev.ballast.proxy.config.ConfigResult;
import dev.ballast.proxy.config.ProxyConfig;
import dev.ballast.proxy.testing.AdminClient;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import dev.ballast.proxy.testing.TestConfigs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.http.HttpResponse;
import java.util.Map;

import static dev.ballast.proxy.testing.TestConfigs.endpoints;
import static dev.ballast.proxy.testing.TestConfigs.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code admin.token}: every admin call needs the bearer token; without one the API is loopback only. */
class AdminTokenTest {

    private static final String TOKEN = "s3cret-token";

    private TestBackend backend;
    private ProxyServer proxy;

    @BeforeEach
    void start() {
        backend = TestBackend.named("svc");
        ProxyConfig base = TestConfigs.proxy(upstream("svc", Policies.ROUND_ROBIN, endpoints(backend)));
        proxy = ProxyServer.start(new ProxyConfig(base.listeners(), new AdminConfig(new HostPort("127.0.0.1", 0), TOKEN),
                base.upstreams(), base.routes(), base.limits(), base.drainTimeoutMillis()));
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/healthz", "/ready", "/metrics", "/status", "/stats", "/config", "/dashboard.js", "/nope"})
    void everyCallWithoutTheTokenIs401(String path) throws Exception {
        HttpResponse<String> response = AdminClient.of(proxy.adminAddress()).get(path);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("www-authenticate")).hasValue("Bearer realm=\"ballast admin\"");
        assertThat(response.body()).doesNotContain(TOKEN);
    }

    @Test
    void changesWithoutTheTokenAre401AndChangeNothing() throws Exception {
        AdminClient anonymous = AdminClient.of(proxy.adminAddress());

        assertThat(anonymous.post("/reload").statusCode()).isEqualTo(401);
        assertThat(anonymous.post("/upstreams/svc/endpoints/" + backend.address() + "/drain").statusCode()).isEqualTo(401);
        assertThat(proxy.upstreams().get("svc").balancer().members().get(0).isDraining()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Bearer wrong", "Bearer " + TOKEN + "x", "Basic " + TOKEN, TOKEN, "Bearer", "Bearer "})
    void aWrongTokenIs401(String authorization) throws Exception {
        try (RawHttp raw = RawHttp.connect(proxy.adminAddress())) {
            RawHttp.Response response = raw.send("GET /status HTTP/1.1\r\nHost: x\r\nAuthorization: " + authorization
                    + "\r\n\r\n").read();
            assertThat(response.status()).isEqualTo(401);
            // Closed: a connection without the token keeps none of the listener's 64 places.
            assertThat(raw.closedByPeer()).isTrue();
        }
    }

    @Test
    void theRightTokenOpensEveryEndpoint() throws Exception {
        AdminClient admin = AdminClient.withToken(proxy.adminAddress(), TOKEN);

        for (String path : new String[] {"/", "/healthz", "/ready", "/metrics", "/status", "/stats", "/config"}) {
            assertThat(admin.get(path).statusCode()).as(path).isEqualTo(200);
        }
        assertThat(admin.post("/upstreams/svc/endpoints/" + backend.address() + "/drain").statusCode()).isEqualTo(200);
        assertThat(admin.post("/reload").statusCode()).as("no file to reload, but authorized").isEqualTo(409);
        try (RawHttp raw = RawHttp.connect(proxy.adminAddress())) {
            assertThat(raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: bearer " + TOKEN + "\r\n\r\n")
                    .read().status()).as("the scheme is case-insensitive").isEqualTo(200);
        }
    }

    @Test
    void configRedactsTheToken() throws Exception {
        String config = AdminClient.withToken(proxy.adminAddress(), TOKEN).get("/config").body();

        assertThat(config).doesNotContain(TOKEN).contains("\"token\" : \"<redacted>\"");
    }

    @Test
    void aNonLoopbackAdminAddressNeedsATokenFromTheEnvironment() {
        String yaml = """
                listeners: [{ name: public, address: 127.0.0.1:8080 }]
                admin: { address: 0.0.0.0:9901%s }
                upstreams: { api: { endpoints: [127.0.0.1:9000] } }
                routes: [{ match: { path_prefix: / }, upstream: api }]
                """;

        ConfigResult withoutToken = ConfigLoader.parse(yaml.formatted(""), "ballast.yaml", Map.<String, String>of()::get);
        assertThat(withoutToken.ok()).isFalse();
        assertThat(withoutToken.errors().get(0).format()).contains("'token' is required");

        ConfigResult unsetVariable = ConfigLoader.parse(yaml.formatted(", token: \"${ADMIN_TOKEN}\""), "ballast.yaml",
                Map.<String, String>of()::get);
        assertThat(unsetVariable.ok()).as("the variable must be set").isFalse();

        ConfigResult withToken = ConfigLoader.parse(yaml.formatted(", token: \"${ADMIN_TOKEN}\""), "ballast.yaml",
                Map.of("ADMIN_TOKEN", TOKEN)::get);
        assertThat(withToken.errors()).isEmpty();
        assertThat(withToken.config().admin().token()).isEqualTo(TOKEN);
    }
}
