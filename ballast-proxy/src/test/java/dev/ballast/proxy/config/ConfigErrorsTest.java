package dev.ballast.proxy.config;

import dev.ballast.core.config.HostPort;
import dev.ballast.core.endpoint.Credentials;
import dev.ballast.core.endpoint.TlsFiles;
import dev.ballast.core.testing.TestTls;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class ConfigErrorsTest {

    /** Everything after the listeners: an upstream and a route, valid. */
    private static final String UPSTREAM_AND_ROUTE = """
            upstreams:
              api:
                endpoints: [127.0.0.1:9001]
            routes:
              - upstream: api
            """;

    @Test
    void reportsEveryProblemOfABrokenFileWithItsPathAndLine() throws IOException {
        ConfigResult result = ConfigLoader.parse(resource("/config/broken.yaml"), "broken.yaml", name -> null);

        assertThat(result.ok()).isFalse();
        assertThat(result.config()).isNull();
        assertThat(result.errors()).extracting(ConfigProblem::format).containsExactly(
                "listeners[1].name: duplicate listener name 'public' (also listeners[0], line 3) (line 5)",
                "listeners[1].address: duplicate address 0.0.0.0:8080 (also listeners[0].address, line 4) (line 6)",
                "listeners[2].adress: unknown key; did you mean 'address'? (line 8)",
                "admin: address 0.0.0.0:9901 is reachable from other hosts, so 'token' is required"
                        + " (e.g. token: ${ADMIN_TOKEN}), or bind the admin API to 127.0.0.1 (line 9)",
                "upstreams.api.balancer: unknown balancer 'round_robin'; did you mean 'round-robin'? (expected one of:"
                        + " round-robin, weighted-round-robin, random, weighted-random, least-connections,"
                        + " least-request, peak-ewma, ring-hash, maglev, first) (line 13)",
                "upstreams.api.endpoints[1]: port 70000 out of range (expected: 1..65535) (line 16)",
                "upstreams.api.endpoints[2].weight: 0 out of range (expected: 1..10000) (line 17)",
                "upstreams.api.endpoints[3]: expected host:port, or a mapping with address, weight, zone, metadata,"
                        + " resolve, got a list (line 18)",
                "upstreams.api.conect_timeout: unknown key; did you mean 'connect_timeout'? (line 19)",
                "upstreams.api.response_timeout: '15' has no unit (expected: a duration like 250ms, 2s, 1m or 1h)"
                        + " (line 20)",
                "upstreams.api.idle_timeout: environment variable IDLE_TIMEOUT is not set (set it, or give a default:"
                        + " ${IDLE_TIMEOUT:-value}) (line 21)",
                "upstreams.api.pool.max_connections_per_endpoint: 'many' is not a whole number"
                        + " (expected: 1..1000000) (line 22)",
                "upstreams.sessions.hash_key: 'header' is not a hash key (expected: header:NAME, cookie:NAME,"
                        + " query:NAME, client-ip or path) (line 25)",
                "routes[0].match.path_regex: invalid regex '^/user/([0-9]+$': Unclosed group near index 15 (line 28)",
                "routes[1].match.methods[1]: unknown HTTP method 'PUTT'; did you mean 'PUT'? (expected: GET, HEAD,"
                        + " POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH) (line 30)",
                "routes[1].upstream: no upstream named 'apii'; did you mean 'api'? (defined: api, sessions) (line 31)",
                "routes[2].match.path_prefix: 'api/' does not start with '/' (expected: a path starting with '/')"
                        + " (line 32)",
                "limits.max_header_size: '16KB' is not a size (expected: bytes, or a size like 16KiB, 1MiB or 1GiB)"
                        + " (line 35)",
                "limits.header_read_timeout: 'soon' is not a duration (expected: a duration like 250ms, 2s, 1m"
                        + " or 1h) (line 36)",
                "drain_timeout: expected a duration like 250ms, 2s, 1m or 1h, got a list (line 37)");
        // Routes whose match has errors are left out of the shadowing check: read with parts missing,
        // route 0 would look like a catch-all and shadow the others.
        assertThat(result.warnings()).isEmpty();
    }

    @Test
    void reportsAYamlSyntaxErrorWithItsLine() {
        assertThat(errors("""
                listeners:
                  - name: public
                    address: 0.0.0.0:8080
                   bad indentation: here
                """)).singleElement().asString()
                .startsWith("test.yaml: invalid YAML: ")
                .endsWith("(line 4)");
    }

    @Test
    void saysAComplexKeyAndTooDeepANestingInTheFilesTerms() {
        assertThat(errors("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  ? [a, b]
                  : { endpoints: [127.0.0.1:9001] }
                """)).singleElement().asString()
                .isEqualTo("test.yaml: invalid YAML: a key must be plain text, not a list, a mapping or an alias"
                        + " (line 3)");
        assertThat(errors("listeners: []\n\nroutes: " + "[".repeat(1200) + "]".repeat(1200) + "\n")).singleElement()
                .asString().isEqualTo("test.yaml: invalid YAML: lists and mappings nested too deeply (at most 1000"
                        + " levels) (line 3)");
    }

    @Test
    void aHealthCheckPathNoClientCanSendIsRefusedAsTheClientLibraryRefusesIt() {
        assertThat(errors("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api:
                    endpoints: [127.0.0.1:9001]
                    health_check: { path: "/status|full" }
                routes: [{ upstream: api }]
                """)).singleElement().asString().startsWith("upstreams.api.health_check.path: '/status|full' is not a"
                + " valid URI path and query").endsWith("expected: percent-encoded, like /status%7Cfull) (line 5)");
    }

    @Test
    void aRoutePathWithNonAsciiTextIsRefusedWithItsPercentEncodedForm() {
        assertThat(errors("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams: { api: { endpoints: [127.0.0.1:9001] } }
                routes:
                  - { match: { path_prefix: /café/ }, upstream: api }
                  - { match: { path_regex: "^/straße/[0-9]+$" }, upstream: api }
                """)).containsExactly(
                "routes[0].match.path_prefix: '/café/' has non-ASCII characters, which a request's path never has"
                        + " (expected: a path starting with '/'; write them percent-encoded, as clients send them:"
                        + " '/caf%C3%A9/') (line 4)",
                "routes[1].match.path_regex: regex '^/straße/[0-9]+$' has non-ASCII characters, which a request's"
                        + " path never has; write them percent-encoded, as clients send them: '^/stra%C3%9Fe/[0-9]+$'"
                        + " (line 5)");
    }

    @Test
    void aMisspeltHealthCheckPathOrTypeIsOneErrorNotAlsoAMissingPath() {
        for (String check : List.of("{ paht: /healthz }", "{ typ: tcp }")) {
            assertThat(errors("""
                    listeners: [{ name: public, address: 0.0.0.0:8080 }]
                    upstreams:
                      api:
                        endpoints: [127.0.0.1:9001]
                        health_check: %s
                    routes: [{ upstream: api }]
                    """.formatted(check))).as(check).singleElement().asString().contains("did you mean");
        }
    }

    @Test
    void anUnnamedRouteDoesNotTakeTheNameTheFileGaveAnotherRoute() {
        ConfigResult result = ConfigLoader.parse("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api: { endpoints: [127.0.0.1:9001] }
                  web: { endpoints: [127.0.0.1:9002] }
                routes:
                  - { name: route-1, match: { path_prefix: /api/ }, upstream: api }
                  - { upstream: web }
                """, "test.yaml", name -> null);

        assertThat(result.errors()).isEmpty();
        assertThat(result.config().routes()).extracting(RouteConfig::name).containsExactly("route-1", "route-1-2");
    }

    @Test
    void anEmptyKeyIsNamedAsSuchNotTakenForTheWholeFile() {
        assertThat(errors("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                "": x
                """)).anySatisfy(error -> assertThat(error).startsWith("\"\": unknown key (expected one of:")
                .endsWith("(line 2)"));
    }

    @Test
    void controlCharactersOfAValueAreEscapedInItsMessage() {
        assertThat(errors("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api: { endpoints: [127.0.0.1:9001] }
                routes:
                  - match: { path: "x\\e[31m" }
                    upstream: api
                """)).singleElement().asString().contains("'x\\x1B[31m'").doesNotContain("\u001b");
    }

    @Test
    void reportsADuplicateKeyWithBothLines() {
        assertThat(errors("""
                listeners:
                  - name: public
                    address: 0.0.0.0:8080
                    name: other
                """ + UPSTREAM_AND_ROUTE))
                .containsExactly("listeners[0].name: duplicate key (first at line 2) (line 4)");
    }

    @Test
    void takesAutoOrACountOfEventLoops() {
        assertThat(errors("""
                listeners:
                  - { name: public, address: 127.0.0.1:8080 }
                event_loops: 0
                """ + UPSTREAM_AND_ROUTE)).containsExactly("event_loops: 0 out of range (expected: 1..1024) (line 3)");
        assertThat(errors("""
                listeners:
                  - { name: public, address: 127.0.0.1:8080 }
                event_loops: all
                """ + UPSTREAM_AND_ROUTE)).containsExactly(
                "event_loops: 'all' is not a whole number (expected: 1..1024) (line 3)");
        assertThat(errors("""
                listeners:
                  - { name: public, address: 127.0.0.1:8080 }
                event_loops: auto
                """ + UPSTREAM_AND_ROUTE)).isEmpty();
    }

    @Test
    void theEventLoopSliceIsADurationUpToASecondInMicrosecondsOrLarger() {
        assertThat(errors("""
                listeners:
                  - { name: public, address: 127.0.0.1:8080 }
                event_loop_slice: 2s
                """ + UPSTREAM_AND_ROUTE)).containsExactly("event_loop_slice: '2s' is too long (expected: at most 1s) (line 3)");
        assertThat(errors("""
                listeners:
                  - { name: public, address: 127.0.0.1:8080 }
                event_loop_slice: 9000h
                """ + UPSTREAM_AND_ROUTE)).containsExactly(
                "event_loop_slice: '9000h' is too long (expected: at most 1s) (line 3)");
        assertThat(errors("""
                listeners:
                  - { name: public, address: 127.0.0.1:8080 }
                event_loop_slice: 500
                """ + UPSTREAM_AND_ROUTE)).containsExactly(
                "event_loop_slice: '500' has no unit (expected: a duration like 500us, 2ms or 1s) (line 3)");
        assertThat(errors("""
                listeners:
                  - { name: public, address: 127.0.0.1:8080 }
                event_loop_slice: 250us
                """ + UPSTREAM_AND_ROUTE)).isEmpty();
    }

    @Test
    void theKernelSliceIsZeroOrWithinWhatLinuxTakes() {
        assertThat(errors("""
                listeners:
                  - { name: public, address: 127.0.0.1:8080 }
                event_loop_kernel_slice: 50us
                """ + UPSTREAM_AND_ROUTE)).containsExactly("event_loop_kernel_slice: '50us' is too short (expected: 0, or"
                + " at least 100us, the shortest slice Linux takes) (line 3)");
        assertThat(errors("""
                listeners:
                  - { name: public, address: 127.0.0.1:8080 }
                event_loop_kernel_slice: 50 µs
                """ + UPSTREAM_AND_ROUTE)).as("as the file spells it").containsExactly("event_loop_kernel_slice:"
                + " '50 µs' is too short (expected: 0, or at least 100us, the shortest slice Linux takes) (line 3)");
        assertThat(errors("""
                listeners:
                  - { name: public, address: 127.0.0.1:8080 }
                event_loop_kernel_slice: 1s
                """ + UPSTREAM_AND_ROUTE)).containsExactly(
                "event_loop_kernel_slice: '1s' is too long (expected: at most 100ms) (line 3)");
        assertThat(errors("""
                listeners:
                  - { name: public, address: 127.0.0.1:8080 }
                event_loop_kernel_slice: 0
                """ + UPSTREAM_AND_ROUTE)).isEmpty();
        assertThat(errors("""
                listeners:
                  - { name: public, address: 127.0.0.1:8080 }
                event_loop_kernel_slice: 100ms
                """ + UPSTREAM_AND_ROUTE)).isEmpty();
    }

    @Test
    void viaTakesATokenOrHostAndPortAsThePseudonym() {
        assertThat(errors("""
                listeners:
                  - { name: public, address: 127.0.0.1:8080 }
                via: { pseudonym: "edge proxy" }
                """ + UPSTREAM_AND_ROUTE)).containsExactly("via.pseudonym: 'edge proxy' cannot name a proxy in Via"
                + " (expected: a token of letters, digits and !#$%&'*+-.^_`|~, or host[:port], at most 64 characters)"
                + " (line 3)");
        assertThat(errors("""
                listeners:
                  - { name: public, address: 127.0.0.1:8080 }
                via: { pseudonym: "edge:99999" }
                """ + UPSTREAM_AND_ROUTE)).singleElement().asString().startsWith("via.pseudonym: 'edge:99999' cannot name");
        assertThat(errors("""
                listeners:
                  - { name: public, address: 127.0.0.1:8080 }
                via: { enable: false }
                """ + UPSTREAM_AND_ROUTE)).containsExactly("via.enable: unknown key; did you mean 'enabled'? (line 3)");
        for (String good : List.of("ballast", "edge-1.example.com", "edge-1.example.com:8080", "[2001:db8::1]:80")) {
            assertThat(errors("""
                    listeners:
                      - { name: public, address: 127.0.0.1:8080 }
                    via: { pseudonym: "%s" }
                    """.formatted(good) + UPSTREAM_AND_ROUTE)).as(good).isEmpty();
        }
    }

    @Test
    void rejectsAnUnknownTransportSuggestingTheClosest() {
        assertThat(errors("""
                listeners:
                  - { name: public, address: 127.0.0.1:8080 }
                transport: io-uring
                """ + UPSTREAM_AND_ROUTE)).containsExactly("transport: unknown transport 'io-uring'; did you mean"
                + " 'io_uring'? (expected: io_uring, epoll, nio) (line 3)");
    }

    @Test
    void rejectsAnUnknownResolveModeAndResolvingAllOfAnIpAddress() {
        assertThat(errors("""
                listeners: [{ name: public, address: 127.0.0.1:8080 }]
                upstreams:
                  api:
                    endpoints:
                      - { address: api.svc:8080, resolve: every }
                      - { address: 10.0.0.7:8080, resolve: all }
                routes: [{ upstream: api }]
                """)).containsExactly(
                "upstreams.api.endpoints[0].resolve: unknown resolve mode 'every' (expected: one, all) (line 5)",
                "upstreams.api.endpoints[1].resolve: 'all' needs a host name, and 10.0.0.7 is an IP address"
                        + " (expected: one, or a host name in address) (line 6)");
    }

    @Test
    void rejectsAnEmptyFile() {
        assertThat(errors("# nothing yet\n"))
                .containsExactly("test.yaml: the configuration is empty (expected: listeners, upstreams and routes)");
    }

    @Test
    void rejectsADocumentThatIsNotAMapping() {
        assertThat(errors("- listeners\n")).containsExactly("test.yaml: expected a mapping with keys listeners,"
                + " admin, upstreams, routes, limits, drain_timeout, access_log, transport, event_loops,"
                + " event_loop_slice, event_loop_kernel_slice, etcd, via, trusted_proxies, got a list");
    }

    @Test
    void rejectsMoreThanOneDocument() {
        assertThat(errors("listeners: []\n---\nroutes: []\n"))
                .containsExactly("test.yaml: more than one YAML document (expected: one) (line 3)");
    }

    @Test
    void requiresAtLeastOneListenerAndOneRoute() {
        assertThat(errors("""
                listeners: []
                upstreams:
                  api:
                    endpoints: [127.0.0.1:9001]
                routes: []
                """)).containsExactly(
                "listeners: no listeners (expected: at least one) (line 1)",
                "routes: no routes (expected: at least one; a route without match takes every request) (line 5)");
    }

    @Test
    void reportsMissingTopLevelSections() {
        assertThat(errors("upstreams: {}\n")).containsExactly(
                "test.yaml: missing 'listeners' (expected: a list of {name, address})",
                "test.yaml: missing 'routes' (expected: a list of routes, each {name, match, upstream or split, mirror})");
    }

    @Test
    void reportsValuesOfTheWrongType() {
        assertThat(errors("""
                listeners: 0.0.0.0:8080
                admin: [127.0.0.1:9901]
                upstreams:
                  api:
                    endpoints: 127.0.0.1:9001
                    pool: 10
                routes:
                  - upstream: api
                    match: { methods: GET, headers: [X-A] }
                """)).containsExactly(
                "listeners: expected a list of {name, address}, got '0.0.0.0:8080' (line 1)",
                "admin: expected a mapping with keys address, token, got a list (line 2)",
                "upstreams.api.endpoints: expected a list of endpoints (host:port, or a mapping with address, weight,"
                        + " zone, metadata, resolve), got '127.0.0.1:9001' (line 5)",
                "upstreams.api.pool: expected a mapping with keys max_connections_per_endpoint,"
                        + " max_idle_per_endpoint, got '10' (line 6)",
                "routes[0].match.methods: expected a list of HTTP methods, like [GET, POST], got 'GET' (line 9)",
                "routes[0].match.headers: expected a mapping of header names to values, got a list (line 9)");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "localhost            | 'localhost' has no port (expected: host:port, like 127.0.0.1:8080 or [::1]:8080)",
            "http://api:80        | 'http://api:80' is a URL (expected: host:port, like 127.0.0.1:8080 or [::1]:8080, no scheme)",
            "::1:8080             | '::1:8080' is not host:port (expected: host:port, like 127.0.0.1:8080 or [::1]:8080; IPv6 addresses go in brackets)",
            ":8080                | ':8080' has no host (expected: host:port, like 127.0.0.1:8080 or [::1]:8080; 0.0.0.0 for every interface)",
            "api:http             | 'http' is not a port number (expected: 1..65535)",
            "api:0                | port 0 out of range (expected: 1..65535)",
            "api:65536            | port 65536 out of range (expected: 1..65535)",
            "bad_host!:80         | 'bad_host!' is not a host name or IP address",
            "[api]:80             | 'api' in brackets is not an IPv6 address (expected: eight groups of up to four hex"
                    + " digits, '::' once for a run of zeros, like [fd00::1])",
    })
    void rejectsAnEndpointAddressThatIsNotHostPort(String address, String message) {
        assertThat(errors("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api:
                    endpoints:
                      - "%s"
                routes: [{ upstream: api }]
                """.formatted(address)))
                .containsExactly("upstreams.api.endpoints[0]: " + message + " (line 5)");
    }

    @Test
    void rejectsListenersThatWouldBindTheSamePort() {
        assertThat(errors("""
                listeners:
                  - name: public
                    address: 0.0.0.0:8080
                  - name: local
                    address: 127.0.0.1:8080
                  - name: tests
                    address: 127.0.0.1:0
                  - name: more-tests
                    address: 127.0.0.1:0
                admin:
                  address: 127.0.0.1:8080
                """ + UPSTREAM_AND_ROUTE)).containsExactly(
                "listeners[1].address: 127.0.0.1:8080 clashes with 0.0.0.0:8080 (listeners[0].address, line 3):"
                        + " both bind port 8080 (line 5)",
                "admin.address: 127.0.0.1:8080 clashes with 0.0.0.0:8080 (listeners[0].address, line 3):"
                        + " both bind port 8080 (line 11)");
    }

    @Test
    void anAddressClashesHoweverItIsWritten() {
        assertThat(errors("""
                listeners:
                  - name: public
                    address: localhost:8080
                admin:
                  address: 127.0.0.1:8080
                """ + UPSTREAM_AND_ROUTE)).containsExactly(
                "admin.address: 127.0.0.1:8080 clashes with localhost:8080 (listeners[0].address, line 3):"
                        + " both bind port 8080 (line 5)");
        assertThat(errors("""
                listeners:
                  - name: public
                    address: "[::1]:8080"
                admin:
                  address: "[0:0:0:0:0:0:0:1]:8080"
                """ + UPSTREAM_AND_ROUTE)).containsExactly(
                "admin.address: [0:0:0:0:0:0:0:1]:8080 clashes with [::1]:8080 (listeners[0].address, line 3):"
                        + " both bind port 8080 (line 5)");
    }

    @Test
    void requiresATokenWhenTheAdminApiIsReachableFromOtherHosts() {
        String config = """
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                admin:
                  address: 10.0.0.5:9901
                  %s
                """ + UPSTREAM_AND_ROUTE;

        assertThat(errors(config.formatted(""))).containsExactly("admin: address 10.0.0.5:9901 is reachable from"
                + " other hosts, so 'token' is required (e.g. token: ${ADMIN_TOKEN}), or bind the admin API to"
                + " 127.0.0.1 (line 2)");
        assertThat(errors(config.formatted("token: ${ADMIN_TOKEN}"))).containsExactly("admin.token: environment"
                + " variable ADMIN_TOKEN is not set (set it, or give a default: ${ADMIN_TOKEN:-value}) (line 4)");
        ConfigResult withToken = ConfigLoader.parse(config.formatted("token: ${ADMIN_TOKEN}"), "test.yaml",
                Map.of("ADMIN_TOKEN", "s3cret")::get);
        assertThat(withToken.config().admin()).isEqualTo(new AdminConfig(new HostPort("10.0.0.5", 9901), "s3cret"));
        for (String unsendable : List.of("s\u00ebcret", "two words", "tab\tbed")) {
            ConfigResult refused = ConfigLoader.parse(config.formatted("token: ${ADMIN_TOKEN}"), "test.yaml",
                    Map.of("ADMIN_TOKEN", unsendable)::get);
            assertThat(refused.errors()).as(unsendable).extracting(ConfigProblem::format).singleElement().asString()
                    .startsWith("admin.token: the token has a space, a control or a non-ASCII character");
        }
    }

    @ParameterizedTest
    @CsvSource({"127.0.0.1:9901", "127.1.2.3:9901", "'[::1]:9901'", "localhost:9901"})
    void needsNoTokenOnALoopbackAdminAddress(String address) {
        assertThat(errors("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                admin: { address: "%s" }
                """.formatted(address) + UPSTREAM_AND_ROUTE)).isEmpty();
    }

    @Test
    void rejectsDuplicateEndpointsAndRouteNames() {
        assertThat(errors("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api:
                    endpoints:
                      - 127.0.0.1:9001
                      - { address: 127.0.0.1:9001, weight: 2 }
                      - pool.example.test:80
                      - POOL.Example.test:80
                      - "[fd00::5]:80"
                      - "[FD00:0:0:0:0:0:0:5]:80"
                routes:
                  - { name: api, match: { path: /a }, upstream: api }
                  - { name: api, match: { path: /b }, upstream: api }
                """)).containsExactly(
                "upstreams.api.endpoints[1]: duplicate endpoint 127.0.0.1:9001 (also upstreams.api.endpoints[0],"
                        + " line 5) (line 6)",
                "upstreams.api.endpoints[3]: duplicate endpoint POOL.Example.test:80 (also upstreams.api.endpoints[2]"
                        + " as pool.example.test:80: host names are case-insensitive, line 7) (line 8)",
                "upstreams.api.endpoints[5]: duplicate endpoint [fd00::5]:80 (also upstreams.api.endpoints[4],"
                        + " line 9) (line 10)",
                "routes[1]: duplicate route name 'api' (also routes[0], line 12) (line 13)");
    }

    @Test
    void rejectsNamesThatCannotBeMetricLabels() {
        assertThat(errors("""
                listeners: [{ name: "public api", address: 0.0.0.0:8080 }, { name: _internal, address: 0.0.0.0:8081 }]
                upstreams:
                  "api.v1":
                    endpoints: [127.0.0.1:9001]
                routes: [{ upstream: api.v1 }]
                """)).containsExactly(
                "listeners[0].name: 'public api' is not a valid name (expected: letters, digits, '-' and '_',"
                        + " starting with a letter or digit, up to 63 characters) (line 1)",
                "listeners[1].name: '_internal' is not a valid name (expected: letters, digits, '-' and '_',"
                        + " starting with a letter or digit, up to 63 characters) (line 1)",
                "upstreams.api.v1: 'api.v1' is not a valid upstream name (expected: letters, digits, '-' and '_',"
                        + " starting with a letter or digit, up to 63 characters) (line 3)");
    }

    @Test
    void rejectsTimeoutsOfZeroWhereZeroWouldMeanEveryRequestTimesOut() {
        assertThat(errors("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api:
                    endpoints: [127.0.0.1:9001]
                    connect_timeout: 0
                routes: [{ upstream: api }]
                drain_timeout: 0
                """)).containsExactly(
                "upstreams.api.connect_timeout: '0' is too short (expected: more than 0) (line 5)");
    }

    @Test
    void rejectsAPoolThatKeepsMoreIdleConnectionsThanItMayOpen() {
        assertThat(errors("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api:
                    endpoints: [127.0.0.1:9001]
                    pool: { max_connections_per_endpoint: 8, max_idle_per_endpoint: 16 }
                routes: [{ upstream: api }]
                """)).containsExactly("upstreams.api.pool.max_idle_per_endpoint: 16 is more than"
                + " max_connections_per_endpoint 8 (expected: 0..8) (line 5)");
    }

    @Test
    void rejectsBadMatchConditions() {
        assertThat(errors("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api:
                    endpoints: [127.0.0.1:9001]
                routes:
                  - match:
                      host: api.example.com:8080
                      path: /search?q=x
                      headers: { "X Bad": yes }
                      methods: [get, FETCH]
                    upstream: api
                """)).containsExactly(
                "routes[0].match.host: 'api.example.com:8080' includes a port (expected: a host name like"
                        + " api.example.com or *.example.com; the port is ignored when matching) (line 7)",
                "routes[0].match.path: '/search?q=x' has a query or fragment (expected: a path starting with '/';"
                        + " match query parameters with 'query') (line 8)",
                "routes[0].match.headers.X Bad: 'X Bad' is not a valid header name (line 9)",
                "routes[0].match.methods[1]: unknown HTTP method 'FETCH' (expected: GET, HEAD, POST, PUT, DELETE,"
                        + " CONNECT, OPTIONS, TRACE, PATCH) (line 10)");
    }

    @Test
    void rejectsAnEmptyMethodListAndAQueryHashKeyHoldingAQueryDelimiter() {
        assertThat(errors("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api:
                    balancer: ring-hash
                    hash_key: "query:a&b"
                    endpoints: [127.0.0.1:9001]
                routes:
                  - match: { path_prefix: /, methods: [] }
                    upstream: api
                """)).containsExactly(
                "upstreams.api.hash_key: 'query:a&b': a query parameter name may not hold '&', '=' or '#', which"
                        + " delimit the query (expected: header:NAME, cookie:NAME, query:NAME, client-ip or path)"
                        + " (line 5)",
                "routes[0].match.methods: an empty list would match no request (expected: methods like [GET, POST];"
                        + " leave 'methods' out to match every method) (line 8)");
    }

    @Test
    void methodsWithNothingAfterItMatchesEveryMethodAsAnAbsentKeyDoes() {
        assertThat(errors("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api: { endpoints: [127.0.0.1:9001] }
                routes:
                  - match:
                      path_prefix: /
                      methods:
                    upstream: api
                """)).isEmpty();
    }

    @Test
    void rejectsASplitThatCannotSendAnywhereAndAMirrorToNoUpstream() {
        assertThat(errors("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  v1: { endpoints: [127.0.0.1:9001] }
                  v2: { endpoints: [127.0.0.1:9002] }
                routes:
                  - name: both
                    upstream: v1
                    split: [{ upstream: v1, weight: 9 }, { upstream: v2, weight: 1 }]
                  - name: twice
                    split:
                      - { upstream: v1, weight: 1 }
                      - { upstream: v1, weight: 2 }
                  - name: zero
                    split: [{ upstream: v1, weight: 0 }, { upstream: v2, weight: 0 }]
                  - name: bad
                    split: [{ upstream: v3, weight: 1 }, { upstream: v2, weight: 10001 }, { upstrem: v1 }]
                  - name: empty
                    split: []
                  - name: nowhere
                    match: { path: /x }
                  - name: mirrored
                    upstream: v1
                    mirror: { upstream: shadow, sample: 150% }
                  - name: doubled
                    split: [{ upstream: v1, weight: 0 }, { upstream: v2, weight: 1 }]
                    mirror: { upstream: v2 }
                """)).containsExactly(
                "routes[0].upstream: a route has 'upstream' or 'split', not both (expected: one upstream, or a split)"
                        + " (line 7)",
                "routes[1].split[1]: upstream 'v1' is in the split twice (also line 11; expected: each upstream"
                        + " once, with its weight) (line 12)",
                "routes[2].split: every weight of the split is 0 (expected: at least one above 0) (line 14)",
                "routes[3].split[0].upstream: no upstream named 'v3'; did you mean 'v1'? (defined: v1, v2) (line 16)",
                "routes[3].split[1].weight: 10001 out of range (expected: 0..10000) (line 16)",
                "routes[3].split[2].upstrem: unknown key; did you mean 'upstream'? (line 16)",
                "routes[4].split: an empty split (expected: a list of {upstream, weight}) (line 18)",
                "routes[5]: missing 'upstream' (expected: the name of an upstream (or a 'split' between several))"
                        + " (line 19)",
                "routes[6].mirror.upstream: no upstream named 'shadow' (defined: v1, v2) (line 23)",
                "routes[6].mirror.sample: 150% out of range (expected: a share of requests from 0 to 1, like 0.1,"
                        + " or a percentage like 10%) (line 23)",
                "routes[7].mirror: copies would go to 'v2', which serves this route itself: its endpoints would get"
                        + " each request twice (expected: an upstream of its own for the copies) (line 26)");
    }

    @Test
    void saysAnUnbracketedIpv6HostIsOneAndAMistypedIpv4ListenerIsNoName() {
        assertThat(errors("""
                listeners: [{ name: public, address: 256.1.1.1:8080 }]
                upstreams:
                  api:
                    endpoints: [127.0.0.1:9001]
                routes:
                  - match: { host: "::1" }
                    upstream: api
                """)).containsExactly(
                "listeners[0].address: '256.1.1.1' is not a valid IPv4 address (line 1)",
                "routes[0].match.host: '::1' is an IPv6 address without brackets (expected: [::1]) (line 6)");
    }

    @Test
    void reportsUnknownAliasesAndMergeKeys() {
        assertThat(errors("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api:
                    endpoints: *pool
                    <<: { balancer: random }
                routes: [{ upstream: api }]
                """)).containsExactly(
                "upstreams.api.endpoints: unknown alias '*pool' (expected: an anchor '&pool' earlier in the file)"
                        + " (line 4)",
                "upstreams.api.<<: merge keys (<<) are not supported (expected: the keys written out) (line 5)");
    }

    @Test
    void anAliasOfASingleValueIsNamedAsSuchForTheParserKeepsNoSuchAnchor() {
        assertThat(errors("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api: { endpoints: [127.0.0.1:9001], connect_timeout: &ct 2s }
                  web: { endpoints: [127.0.0.1:9002], connect_timeout: *ct }
                routes: [{ upstream: api }]
                """)).containsExactly("upstreams.web.connect_timeout: alias '*ct' of a single value (anchors work"
                + " on lists and mappings only; expected: the value written out) (line 4)");
    }

    @Test
    void aRefusedAliasInAListLeavesTheItemsAfterItAtTheirPositions() {
        assertThat(errors("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api: { endpoints: [*nope, "127.0.0.1:70000"] }
                routes: [{ upstream: api }]
                """)).containsExactly(
                "upstreams.api.endpoints[0]: unknown alias '*nope' (expected: an anchor '&nope' earlier in the file)"
                        + " (line 3)",
                "upstreams.api.endpoints[0]: expected host:port, or a mapping with address, weight, zone, metadata,"
                        + " resolve, got nothing (line 3)",
                "upstreams.api.endpoints[1]: port 70000 out of range (expected: 1..65535) (line 3)");
    }

    @Test
    void aliasesThatWouldRepeatMoreThanAHundredThousandValuesAreRefusedNotExpanded() {
        // A few hundred bytes that, expanded, would be over a million values: an end of the heap, and of a
        // running proxy at a reload.
        Function<String, String> tenAliasesOf = anchor -> IntStream.range(0, 10).mapToObj(i -> "*" + anchor)
                .collect(Collectors.joining(", ", "[", "]"));
        assertThat(errors("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams: { api: { endpoints: [127.0.0.1:9001] } }
                routes: [{ upstream: api }]
                bomb:
                  a: &a [x, x, x, x, x, x, x, x, x, x]
                  b: &b %s
                  c: &c %s
                  d: &d %s
                  e: &e %s
                  f: &f %s
                """.formatted(tenAliasesOf.apply("a"), tenAliasesOf.apply("b"), tenAliasesOf.apply("c"),
                tenAliasesOf.apply("d"), tenAliasesOf.apply("e")))).containsExactly(
                "bomb: unknown key (expected one of: listeners, admin, upstreams, routes, limits, drain_timeout,"
                        + " access_log, transport, event_loops, event_loop_slice, event_loop_kernel_slice, etcd, via,"
                        + " trusted_proxies)"
                        + " (line 4)",
                "bomb.e[7]: aliases repeat more than 100000 values in all (expected: fewer or smaller aliases;"
                        + " aliases of aliases multiply) (line 9)");
    }

    @Test
    void suggestsNothingForAKeyFarFromEveryKnownOne() {
        assertThat(errors("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api:
                    endpoints: [127.0.0.1:9001]
                    tls: true
                routes: [{ upstream: api }]
                """)).containsExactly("upstreams.api.tls: unknown key (expected one of: balancer, hash_key,"
                + " bounded_load, endpoints, connect_timeout, response_timeout, idle_timeout, pool, host_header,"
                + " dns_refresh, discovery, health_check, outlier_detection, retries, circuit_breaker, slow_start, panic_threshold)"
                + " (line 5)");
    }

    @Test
    void reportsAFileThatCannotBeRead() {
        ConfigResult result = ConfigLoader.load(java.nio.file.Path.of("/nonexistent/ballast.yaml"));

        assertThat(result.ok()).isFalse();
        assertThat(result.errors()).extracting(ConfigProblem::format)
                .containsExactly("/nonexistent/ballast.yaml: cannot read: no such file");
    }

    @Test
    void rejectsEtcdDiscoveryWithoutAClusterOrAPrefixAndClusterMembersThatAreNotUrls() {
        assertThat(errors("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api:
                    discovery: { etcd: { prefix: /services/api/ } }
                routes:
                  - upstream: api
                """)).containsExactly("upstreams.api.discovery.etcd: no etcd cluster to read from (expected: a"
                + " top-level 'etcd: { endpoints: [...] }') (line 4)");
        assertThat(errors("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                etcd:
                  endpoints: [127.0.0.1:2379, "http://10.0.0.1:2379/v3", "https://etcd-1.internal:2379",
                              "http://10.0.0.2:99999", "http://root:secret@10.0.0.3:2379"]
                  timeout: soon
                upstreams:
                  api:
                    discovery: { etcd: { prefix: "" } }
                  web:
                    discovery: { etcd: { prefx: /services/web/ }, consul: x }
                routes:
                  - upstream: api
                  - { match: { path: /web }, upstream: web }
                """)).containsExactly(
                "etcd.endpoints[0]: '127.0.0.1:2379' is not a URL (expected: an etcd client"
                        + " URL, e.g. http://127.0.0.1:2379) (line 3)",
                "etcd.endpoints[1]: 'http://10.0.0.1:2379/v3' has a path or query (expected: an etcd client URL,"
                        + " e.g. http://127.0.0.1:2379) (line 3)",
                "etcd.endpoints[3]: port 99999 out of range (expected: 1..65535) (line 4)",
                "etcd.endpoints[4]: 'http://10.0.0.3:2379' has a user name in it (not shown): give etcd's login as"
                        + " etcd.username and etcd.password, or on the command line as --config-etcd-user and"
                        + " --config-etcd-password-file (expected: an etcd client URL, e.g. http://127.0.0.1:2379)"
                        + " (line 4)",
                "etcd.timeout: 'soon' is not a duration (expected: a duration like 250ms, 2s, 1m or 1h) (line 5)",
                "upstreams.api.discovery.etcd.prefix: an empty prefix would read every key of the cluster"
                        + " (expected: a key prefix, e.g. /services/api/) (line 8)",
                "upstreams.web.discovery.consul: unknown key (expected one of: etcd) (line 10)",
                "upstreams.web.discovery.etcd.prefx: unknown key; did you mean 'prefix'? (line 10)");
    }

    @Test
    void rejectsHalfAnEtcdLoginNamingTheMissingHalf() {
        String members = "endpoints: [http://127.0.0.1:2379]\n";
        assertThat(errors(etcdDocument(members + "username: ballast"))).containsExactly("etcd.username: a username"
                + " without a password (expected: both; e.g. password: ${ETCD_PASSWORD}, or password_file:"
                + " /run/secrets/etcd-password) (line 4)");
        assertThat(errors(etcdDocument(members + "password: secret"))).containsExactly("etcd.password: a password"
                + " without a username (expected: both, or neither when etcd asks for no login) (line 4)");
        assertThat(errors(etcdDocument(members + "username: \"\"\npassword: secret")))
                .containsExactly("etcd.username: empty (expected: an etcd user name) (line 4)");
        assertThat(errors(etcdDocument(members + "username: ballast\npasword: secret"))).as("one typo, one error")
                .containsExactly("etcd.pasword: unknown key; did you mean 'password'? (line 5)");
        assertThat(errors(etcdDocument(members + "password_file: /run/secrets/p"))).containsExactly(
                "etcd.password_file: a password_file without a username (expected: both, or neither when etcd asks"
                        + " for no login) (line 4)");
    }

    @Test
    void aFilePathWithANulCharacterIsRefusedWithItsLineNotThrown() {
        assertThat(errors("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                access_log: { path: "access\\0.log" }
                etcd:
                  endpoints: [https://127.0.0.1:2379]
                  username: ballast
                  password_file: "etcd\\0password"
                  tls: { ca_file: "ca\\0.pem" }
                upstreams: { api: { endpoints: [127.0.0.1:9001] } }
                routes: [{ upstream: api }]
                """)).containsExactlyInAnyOrder(
                "access_log.path: not a file path: Nul character not allowed (expected: stdout or a file path) (line 2)",
                "etcd.password_file: not a file path: Nul character not allowed (expected: a file whose first line"
                        + " is the etcd user's password) (line 6)",
                "etcd.tls.ca_file: not a file path: Nul character not allowed (expected: a PEM file path) (line 7)");
    }

    @Test
    void anEtcdPasswordFileIsCheckedWithTheConfigurationAndKeptAsAPathReadAfreshEachTime(@TempDir Path dir) throws Exception {
        String members = "endpoints: [http://127.0.0.1:2379]\nusername: ballast\n";
        Path file = Files.writeString(dir.resolve("etcd-password"), "s3cret\n");
        ConfigResult result = ConfigLoader.parse(etcdDocument(members + "password_file: " + file), "test.yaml",
                name -> null);

        assertThat(result.errors()).isEmpty();
        Credentials login = result.config().upstreams().get("api").discovery().credentials();
        assertThat(login).isEqualTo(Credentials.withPasswordFile("ballast", file));
        assertThat(login.currentPassword()).isEqualTo("s3cret");
        Files.writeString(file, "rotated\n");
        assertThat(login.currentPassword()).as("read afresh, as each login does").isEqualTo("rotated");

        assertThat(errors(etcdDocument(members + "password_file: " + dir.resolve("nowhere"))))
                .containsExactly("etcd.password_file: " + dir.resolve("nowhere") + ": cannot read: no such file (line 5)");
        Path empty = Files.writeString(dir.resolve("empty"), "");
        assertThat(errors(etcdDocument(members + "password_file: " + empty))).containsExactly("etcd.password_file: "
                + empty + " is empty (expected: the password on its first line) (line 5)");
        assertThat(errors(etcdDocument(members + "password: x\npassword_file: " + file))).containsExactly(
                "etcd.password_file: a password_file and a password (expected: one of them) (line 6)");
        assertThat(errors(etcdDocument(members + "pasword_file: " + file))).as("one typo, one error")
                .containsExactly("etcd.pasword_file: unknown key; did you mean 'password_file'? (line 5)");
    }

    @Test
    void etcdTlsFilesAreReadWhenTheConfigurationIsAndEachProblemNamesItsFileAndLine(@TempDir Path dir) {
        TestTls tls = TestTls.in(dir);
        String https = "https://127.0.0.1:2379";
        assertThat(errors(tlsDocument(https, "ca_file: " + dir.resolve("nowhere.pem"))))
                .containsExactly("etcd.tls.ca_file: " + dir.resolve("nowhere.pem") + ": no such file (line 5)");
        assertThat(errors(tlsDocument(https, "{ ca_file: %s, cert_file: %s, key_file: %s }".formatted(
                tls.ca(), tls.clientCert(), tls.ecClientKeySec1()))))
                .containsExactly("etcd.tls.key_file: " + tls.ecClientKeySec1() + ": not the key of the certificate in "
                        + tls.clientCert() + " (line 5)");
        assertThat(errors(tlsDocument(https, "{ ca_file: %s, cert_file: %s, key_file: %s }".formatted(
                tls.ca(), tls.clientCert(), tls.clientKeyEncrypted()))))
                .singleElement().asString().startsWith("etcd.tls.key_file: " + tls.clientKeyEncrypted()
                        + ": an encrypted private key");
        assertThat(errors(tlsDocument(https, "cert_file: " + tls.clientCert())))
                .containsExactly("etcd.tls.cert_file: a cert_file without a key_file (expected: both, the client"
                        + " certificate and its private key) (line 5)");
        assertThat(errors(tlsDocument(https, "ca_fle: " + tls.ca())))
                .containsExactly("etcd.tls.ca_fle: unknown key; did you mean 'ca_file'? (line 5)");
        assertThat(errors(tlsDocument(https, "{ cert_file: %s, kye_file: %s }".formatted(tls.clientCert(),
                tls.clientKey())))).as("one typo, one error")
                .containsExactly("etcd.tls.kye_file: unknown key; did you mean 'key_file'? (line 5)");
        assertThat(errors(tlsDocument("ftp://10.0.0.1:2379, http://10.0.0.2:2379", "ca_file: " + tls.ca())))
                .as("each member checked on its own").hasSize(2)
                .anySatisfy(error -> assertThat(error).startsWith("etcd.endpoints[0]: "))
                .anySatisfy(error -> assertThat(error).startsWith("etcd.endpoints[1]: an http:// URL with etcd.tls"));
        assertThat(errors(tlsDocument(https, "{}"))).singleElement().asString()
                .startsWith("etcd.tls: no file (expected: ca_file");
        assertThat(errors(tlsDocument("http://127.0.0.1:2379", "ca_file: " + tls.ca())))
                .containsExactly("etcd.endpoints[0]: an http:// URL with etcd.tls, which only https:// URLs use"
                        + " (expected: https://127.0.0.1:2379, or no tls) (line 3)");
        assertThat(errors(tlsDocument("https://10.0.0.1:2379, http://10.0.0.2:2379", "ca_file: nowhere.pem")))
                .as("every problem at once").containsExactly(
                        "etcd.endpoints[1]: an http:// URL with etcd.tls, which only https:// URLs use (expected:"
                                + " https://10.0.0.2:2379, or no tls) (line 3)",
                        "etcd.tls.ca_file: nowhere.pem: no such file (line 5)");
    }

    @Test
    void etcdTlsFilesReachEveryUpstreamThatReadsTheCluster(@TempDir Path dir) {
        TestTls tls = TestTls.in(dir);
        ConfigResult result = ConfigLoader.parse(tlsDocument("https://127.0.0.1:2379",
                "{ ca_file: %s, cert_file: %s, key_file: %s }".formatted(tls.ca(), tls.clientCert(),
                        tls.clientKeyPkcs1())), "test.yaml", name -> null);

        assertThat(result.errors()).isEmpty();
        EtcdDiscoveryConfig discovery = result.config().upstreams().get("api").discovery();
        assertThat(discovery.tls()).isEqualTo(new TlsFiles(tls.ca(), tls.clientCert(), tls.clientKeyPkcs1()));
        assertThat(discovery.target("upstream api").tls()).isEqualTo(discovery.tls());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "http://ballast:s3cret@etcd-0",          // no port
            "ftp://ballast:s3cret@etcd-0:2379",      // not http
            "http://ballast:s3%cret@etcd-0:2379",    // not a URI
            "http://ballast:s3/cret@etcd-0:2379",    // a '/' in the password
            "ballast:s3cret@etcd-0:2379"})           // no scheme
    void aPasswordInAnEtcdUrlIsNeverEchoedWhateverElseIsWrongWithIt(String url) {
        List<String> errors = errors("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                etcd: { endpoints: ["%s"] }
                """.formatted(url));
        assertThat(errors).anySatisfy(error -> assertThat(error).startsWith("etcd.endpoints[0]: '")
                .contains("has a user name in it (not shown)"));
        assertThat(String.join("\n", errors)).doesNotContain("s3").doesNotContain("cret");
    }

    @Test
    void anEtcdLoginReachesEveryUpstreamThatReadsTheClusterAndIsNeverPrinted() {
        ConfigResult result = ConfigLoader.parse(etcdDocument("""
                endpoints: [http://127.0.0.1:2379]
                username: ballast
                password: ${ETCD_PASSWORD}
                """), "test.yaml", name -> name.equals("ETCD_PASSWORD") ? "s3cret" : null);

        assertThat(result.errors()).isEmpty();
        EtcdDiscoveryConfig discovery = result.config().upstreams().get("api").discovery();
        assertThat(discovery.credentials()).isEqualTo(new Credentials("ballast", "s3cret"));
        assertThat(discovery.target("upstream api").credentials()).isEqualTo(discovery.credentials());
        assertThat(discovery.toString()).contains("ballast").doesNotContain("s3cret");
    }

    /** A document whose upstream {@code api} reads its endpoints from etcd; {@code etcd}'s lines start at line 3. */
    private static String etcdDocument(String etcd) {
        return """
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                etcd:
                %supstreams:
                  api:
                    discovery: { etcd: { prefix: /services/api/ } }
                routes:
                  - upstream: api
                """.formatted(etcd.indent(2));
    }

    /** {@link #etcdDocument} with {@code members} and, on line 5, {@code tls}'s value. */
    private static String tlsDocument(String members, String tls) {
        return etcdDocument("endpoints: [" + members + "]\ntls:\n  " + tls);
    }

    @Test
    void namesAControlCharacterAndItsLineInsteadOfTheParsersLineOne() {
        String head = "listeners: [{ name: public, address: 127.0.0.1:8080 }]\n" + UPSTREAM_AND_ROUTE;
        String padding = "# " + "x".repeat(3000) + "\n";

        assertThat(errors(head + "drain_timeout: 5s\u000c\n")).containsExactly("test.yaml: invalid YAML: character U+000C"
                + " is not allowed in a YAML file (inside a double-quoted string, write it as \\u000C) (line 7)");
        assertThat(errors(head + padding + "drain_timeout: \u001b[0m5s\n")).containsExactly("test.yaml: invalid YAML:"
                + " character U+001B is not allowed in a YAML file (inside a double-quoted string, write it as \\u001B)"
                + " (line 8)");
        assertThat(errors("\0\0\0\0\0\0\0\0")).as("a file of zeros: the first five").hasSize(5)
                .allSatisfy(error -> assertThat(error).contains("U+0000").endsWith("(line 1)"));
    }

    @Test
    void aTagTheValueDoesNotFitIsASyntaxErrorNotACrash() {
        assertThat(errors("drain_timeout: !!int +\n")).singleElement().asString()
                .startsWith("test.yaml: invalid YAML: a value that does not fit its tag").endsWith("(line 1)");
    }

    @Test
    void aWholeNumberPastWhatALongHoldsIsOutOfRangeAndOtherDigitsAreNoNumber() {
        String head = "listeners: [{ name: public, address: 127.0.0.1:8080 }]\nroutes: [{ upstream: api }]\n"
                + "upstreams:\n  api:\n    endpoints:\n";

        assertThat(errors(head + "      - { address: 127.0.0.1:9001, weight: 99999999999999999999 }\n")).containsExactly(
                "upstreams.api.endpoints[0].weight: 99999999999999999999 out of range (expected: 1..10000) (line 6)");
        assertThat(errors(head + "      - { address: 127.0.0.1:9001, weight: \"\u0661\u0660\" }\n")).containsExactly(
                "upstreams.api.endpoints[0].weight: '\u0661\u0660' is not a whole number (expected: 1..10000) (line 6)");
    }

    @Test
    void aMistypedHostHeaderKeywordOrAUrlIsAnErrorNotAHostSentUpstream() {
        String head = "listeners: [{ name: public, address: 127.0.0.1:8080 }]\nroutes: [{ upstream: api }]\n"
                + "upstreams:\n  api:\n    endpoints: [127.0.0.1:9001]\n";

        assertThat(errors(head + "    host_header: Preserve\n")).containsExactly("upstreams.api.host_header: 'Preserve'"
                + " is not a keyword; did you mean 'preserve'? (expected: preserve, endpoint, or a host name to send;"
                + " a host of that name goes with its port, like Preserve:80) (line 6)");
        assertThat(errors(head + "    host_header: endpiont\n")).singleElement().asString()
                .contains("did you mean 'endpoint'?");
        assertThat(errors(head + "    host_header: https://api.internal\n")).containsExactly("upstreams.api.host_header:"
                + " 'https://api.internal' is a URL, not a host (expected: preserve, endpoint, or a host name to send,"
                + " like api.internal or api.internal:8080) (line 6)");
        assertThat(errors(head + "    host_header: user@api.internal\n")).singleElement().asString()
                .contains("is no host");
        for (String fine : List.of("static.example.com", "api.internal:8080", "backend", "preserv:80", "[::1]:8080")) {
            assertThat(errors(head + "    host_header: \"" + fine + "\"\n")).as(fine).isEmpty();
        }
    }

    private static List<String> errors(String yaml) {
        ConfigResult result = ConfigLoader.parse(yaml, "test.yaml", name -> null);
        assertThat(result.config() == null).isEqualTo(!result.errors().isEmpty());
        return result.errors().stream().map(ConfigProblem::format).toList();
    }

    static String resource(String name) throws IOException {
        try (InputStream in = ConfigErrorsTest.class.getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
