package dev.ballast.proxy.config;

import dev.ballast.core.config.HostPort;
import dev.ballast.core.endpoint.Endpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class ConfigLoaderTest {

    @Test
    void readsTheIssueExampleIntoRecords() {
        ConfigResult result = ConfigLoader.parse("""
                listeners:
                  - name: public
                    address: 0.0.0.0:8080
                admin:
                  address: 127.0.0.1:9901
                upstreams:
                  api:
                    balancer: least-request
                    endpoints:
                      - 127.0.0.1:9001                 # shorthand
                      - { address: 127.0.0.1:9002, weight: 3 }
                    connect_timeout: 1s
                    response_timeout: 15s
                    idle_timeout: 60s
                    pool: { max_connections_per_endpoint: 1024, max_idle_per_endpoint: 64 }
                routes:
                  - match: { host: api.example.com, path_prefix: /api/ }
                    upstream: api
                  - match: { path: /login, methods: [POST] }
                    upstream: api
                  - match: { path_regex: "^/user/[0-9]+$", headers: { X-Canary: "always" } }
                    upstream: api
                """, "example.yaml", name -> null);

        assertThat(result.errors()).isEmpty();
        assertThat(result.warnings()).isEmpty();
        assertThat(result.config()).usingRecursiveComparison()
                .withEqualsForType((a, b) -> a.pattern().equals(b.pattern()), Pattern.class)
                .isEqualTo(new ProxyConfig(
                        List.of(new ListenerConfig("public", new HostPort("0.0.0.0", 8080))),
                        new AdminConfig(new HostPort("127.0.0.1", 9901), null),
                        Map.of("api", new UpstreamConfig("api", "least-request", null, 0,
                                List.of(Endpoint.of("127.0.0.1", 9001), Endpoint.of("127.0.0.1", 9002).withWeight(3)),
                                1_000, 15_000, 60_000, new PoolConfig(1024, 64), "preserve")),
                        List.of(
                                new RouteConfig("route-0", match("api.example.com", null, "/api/", null, Set.of(),
                                        Map.of()), "api"),
                                new RouteConfig("route-1", match(null, "/login", null, null, Set.of("POST"),
                                        Map.of()), "api"),
                                new RouteConfig("route-2", match(null, null, null, "^/user/[0-9]+$", Set.of(),
                                        Map.of("x-canary", "always")), "api")),
                        LimitsConfig.defaults(),
                        30_000));
    }

    @Test
    void appliesTheDocumentedDefaults() {
        ProxyConfig config = valid("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api:
                    endpoints: [127.0.0.1:9001]
                routes: [{ upstream: api }]
                """);

        assertThat(config.admin()).isEqualTo(new AdminConfig(new HostPort("127.0.0.1", 9901), null));
        UpstreamConfig api = config.upstreams().get("api");
        assertThat(api.balancer()).isEqualTo("round-robin");
        assertThat(api.hashKey()).isNull();
        assertThat(api.boundedLoadFactor()).isZero();
        assertThat(api.connectTimeoutMillis()).isEqualTo(1_000);
        assertThat(api.responseTimeoutMillis()).isEqualTo(15_000);
        assertThat(api.idleTimeoutMillis()).isEqualTo(60_000);
        assertThat(api.pool()).isEqualTo(new PoolConfig(1024, 64));
        assertThat(api.hostHeader()).isEqualTo(UpstreamConfig.HOST_PRESERVE);
        assertThat(config.routes().getFirst().match())
                .isEqualTo(new MatchConfig(null, null, null, null, Set.of(), Map.of(), Map.of()));
        assertThat(config.limits()).isEqualTo(new LimitsConfig(16 * 1024, 8 * 1024, 0, 10_000, 10_000, 60_000, 3_600_000));
        assertThat(config.drainTimeoutMillis()).isEqualTo(30_000);
        assertThat(config.transport()).isEqualTo(IoTransport.EPOLL);
        assertThat(config.eventLoops()).isEqualTo(ProxyConfig.AUTO);
        assertThat(config.eventLoopSliceMicros()).isEqualTo(500);
        assertThat(config.eventLoopCount()).isEqualTo(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void readsEveryOptionalKey() {
        ProxyConfig config = valid("""
                listeners:
                  - { name: public, address: "[::]:8080" }
                  - { name: tests, address: "127.0.0.1:0" }
                admin: { address: 0.0.0.0:9901, token: s3cret }
                upstreams:
                  sessions:
                    balancer: maglev
                    hash_key: cookie:session
                    bounded_load: 1.5
                    endpoints:
                      - { address: "[fd00::1]:9001", weight: 10000, zone: eu-west-1a, metadata: { version: v2 } }
                    connect_timeout: 250ms
                    response_timeout: 2m
                    idle_timeout: 1h
                    pool: { max_connections_per_endpoint: 8 }
                    host_header: endpoint
                    dns_refresh: 0
                  static:
                    balancer: ring-hash
                    bounded_load: true
                    endpoints:
                      - files.internal:80
                      - { address: "files.headless.svc:8080", resolve: all }
                      - { address: "files.one.svc:8080", resolve: one }
                    host_header: static.example.com
                routes:
                  - name: sessions
                    match:
                      host: "*.Example.com"
                      methods: [get, HEAD]
                      query: { lang: en }
                      headers: { X-Tenant: "42" }
                    upstream: sessions
                  - { name: static, upstream: static }
                limits:
                  max_header_size: 32KiB
                  max_uri_length: 4096
                  max_body_size: 1GiB
                  header_read_timeout: 5s
                  max_connections: 50000
                  client_idle_timeout: 2m
                  tunnel_idle_timeout: 10m
                  client_stall_timeout: 30s
                  max_header_count: 60
                drain_timeout: 0
                transport: io_uring
                event_loops: 3
                event_loop_slice: 2ms
                event_loop_kernel_slice: 300us
                """);

        assertThat(config.listeners()).extracting(ListenerConfig::address)
                .containsExactly(new HostPort("::", 8080), new HostPort("127.0.0.1", 0));
        assertThat(config.admin()).isEqualTo(new AdminConfig(new HostPort("0.0.0.0", 9901), "s3cret"));
        assertThat(config.upstreams().keySet()).containsExactly("sessions", "static");
        assertThat(config.upstreams().get("sessions")).isEqualTo(new UpstreamConfig("sessions", "maglev",
                new HashKey(HashKey.Source.COOKIE, "session"), 1.5,
                List.of(new Endpoint("fd00::1", 9001, 10_000, "eu-west-1a", Map.of("version", "v2"))),
                250, 120_000, 3_600_000, new PoolConfig(8, 8), "endpoint").withDnsRefresh(0));
        assertThat(config.upstreams().get("static").dnsRefreshMillis()).isEqualTo(30_000);
        assertThat(config.upstreams().get("static").boundedLoadFactor()).isEqualTo(1.25);
        assertThat(config.upstreams().get("static").hostHeader()).isEqualTo("static.example.com");
        assertThat(config.upstreams().get("static").resolveAll()).containsExactly("files.headless.svc:8080");
        assertThat(config.upstreams().get("sessions").resolveAll()).isEmpty();
        assertThat(config.routes().getFirst()).isEqualTo(new RouteConfig("sessions", new MatchConfig(
                "*.example.com", null, null, null, Set.of("GET", "HEAD"), Map.of("x-tenant", "42"),
                Map.of("lang", "en")), "sessions"));
        assertThat(config.limits())
                .isEqualTo(new LimitsConfig(32 * 1024, 4096, 1L << 30, 5_000, 50_000, 120_000, 600_000, 30_000, 60));
        assertThat(config.drainTimeoutMillis()).isZero();
        assertThat(config.transport()).isEqualTo(IoTransport.IO_URING);
        assertThat(config.eventLoops()).isEqualTo(3);
        assertThat(config.eventLoopSliceMicros()).isEqualTo(2_000);
        assertThat(config.eventLoopKernelSliceMicros()).isEqualTo(300);
        assertThat(config.eventLoopCount()).isEqualTo(3);
    }

    @Test
    void expandsEnvironmentVariablesInsideScalars() {
        Map<String, String> env = Map.of("PORT", "9090", "API_HOST", "10.1.2.3", "ADMIN_TOKEN", "t0ken",
                "CANARY", "yes: [not, yaml]", "EMPTY", "");
        ConfigResult result = ConfigLoader.parse("""
                listeners: [{ name: public, address: "0.0.0.0:${PORT}" }]
                admin: { address: "0.0.0.0:9901", token: "${ADMIN_TOKEN}" }
                upstreams:
                  api:
                    endpoints: ["${API_HOST}:${API_PORT:-9001}"]
                    response_timeout: ${RESPONSE_TIMEOUT:-20s}
                    host_header: ${EMPTY:-preserve}
                routes:
                  - match: { headers: { X-Canary: "${CANARY}", X-Price: "$${not-a-variable}" } }
                    upstream: api
                """, "env.yaml", env::get);

        assertThat(result.errors()).isEmpty();
        ProxyConfig config = result.config();
        assertThat(config.listeners().getFirst().address()).isEqualTo(new HostPort("0.0.0.0", 9090));
        assertThat(config.admin().token()).isEqualTo("t0ken");
        UpstreamConfig api = config.upstreams().get("api");
        assertThat(api.endpoints()).containsExactly(Endpoint.of("10.1.2.3", 9001));
        assertThat(api.responseTimeoutMillis()).isEqualTo(20_000);
        assertThat(api.hostHeader()).isEqualTo("preserve");
        // A variable's value is text, never YAML: it cannot add structure to the document.
        assertThat(config.routes().getFirst().match().headers())
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of("x-canary", "yes: [not, yaml]", "x-price", "${not-a-variable}"));
    }

    @Test
    void repeatsAnchoredNodesWhereTheyAreAliased() {
        ProxyConfig config = valid("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  blue:
                    endpoints: &shared [127.0.0.1:9001, 127.0.0.1:9002]
                  green:
                    endpoints: *shared
                routes:
                  - { match: { path_prefix: /green/ }, upstream: green }
                  - { upstream: blue }
                """);

        assertThat(config.upstreams().get("green").endpoints())
                .isEqualTo(config.upstreams().get("blue").endpoints())
                .hasSize(2);
    }

    @Test
    void loadsAFileFromDisk(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("ballast.yaml");
        Files.writeString(file, """
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams: { api: { endpoints: [127.0.0.1:9001] } }
                routes: [{ upstream: api }]
                """);

        ConfigResult result = ConfigLoader.load(file);

        assertThat(result.ok()).isTrue();
        assertThat(result.config().routes()).extracting(RouteConfig::upstream).containsExactly("api");
    }

    @Test
    void theExampleFileInTheRepositoryValidatesWithoutWarnings() throws IOException {
        Path example = Path.of("..", "examples", "ballast.yaml");

        ConfigResult result = ConfigLoader.parse(Files.readString(example), example.toString(), name -> null);

        assertThat(result.errors()).isEmpty();
        assertThat(result.warnings()).isEmpty();
        assertThat(result.config().routes()).isNotEmpty();
    }

    static ProxyConfig valid(String yaml) {
        ConfigResult result = ConfigLoader.parse(yaml, "test.yaml", name -> null);
        assertThat(result.errors()).isEmpty();
        assertThat(result.ok()).isTrue();
        return result.config();
    }

    private static MatchConfig match(String host, String path, String prefix, String regex, Set<String> methods,
                                     Map<String, String> headers) {
        return new MatchConfig(host, path, prefix, regex == null ? null : Pattern.compile(regex), methods, headers,
                Map.of());
    }
}
