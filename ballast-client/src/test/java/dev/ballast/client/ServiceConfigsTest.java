package dev.ballast.client;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.ballast.client.testing.Backend;
import dev.ballast.core.config.StatusCodes;
import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.health.HealthCheckSettings;
import dev.ballast.core.outlier.OutlierDetection;
import dev.ballast.core.pick.Policies;
import dev.ballast.core.resilience.Backoff;
import dev.ballast.core.resilience.RetryPolicy.Condition;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

import static dev.ballast.client.ClientRequest.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** {@link ServiceConfigs}: the proxy's {@code upstreams} YAML, parsed by a real YAML library, as services. */
class ServiceConfigsTest {

    private static final Path EXAMPLE = Path.of("../examples/ballast.yaml");
    private static final ObjectMapper JACKSON = new ObjectMapper(new YAMLFactory());
    private static final Function<String, String> NO_ENV = name -> null;

    private static Map<String, Object> yaml(String text) {
        try {
            return JACKSON.readValue(text, new TypeReference<>() { });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, ?> upstreamsOf(Map<String, Object> root) {
        return (Map<String, ?>) root.get("upstreams");
    }

    /** The single upstream {@code api} written in {@code body} (its keys, indented by two). */
    private static ServiceConfig api(String body) {
        return ServiceConfigs.fromUpstreams(yaml("api:\n" + body.indent(2)), NO_ENV).getFirst();
    }

    private static String problems(String upstreams) {
        return catchThrowableOfType(IllegalArgumentException.class,
                () -> ServiceConfigs.fromUpstreams(yaml(upstreams), NO_ENV)).getMessage();
    }

    // ---- examples/ballast.yaml ----

    @Test
    void buildsEveryUpstreamOfTheExampleAsTheFileSays() throws IOException {
        Map<String, Object> root = JACKSON.readValue(EXAMPLE.toFile(), new TypeReference<>() { });

        List<ServiceConfig> services = ServiceConfigs.fromUpstreams(upstreamsOf(root), NO_ENV);

        assertThat(services).extracting(ServiceConfig::name)
                .containsExactly("api", "sessions", "api-next", "search-shadow", "static");
        ServiceConfig api = services.get(0);
        assertThat(api.balancer()).isEqualTo(Policies.LEAST_REQUEST);
        assertThat(api.endpoints()).containsExactly(
                Endpoint.of("127.0.0.1", 9001),
                new Endpoint("127.0.0.1", 9002, 3, "eu-west-1a", Map.of()),
                new Endpoint("127.0.0.1", 9003, 2, "", Map.of("version", "v2")));
        assertThat(api.connectTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(api.responseTimeout()).isEqualTo(Duration.ofSeconds(15));
        assertThat(api.retries().attempts()).isEqualTo(2);
        assertThat(api.retries().retryOn())
                .containsExactlyInAnyOrder(Condition.CONNECT_FAILURE, Condition.RESET, Condition.TIMEOUT);
        assertThat(api.retries().retryStatuses()).containsExactlyInAnyOrder(502, 503, 504);
        assertThat(api.retries().backoff()).isEqualTo(Backoff.exponential(Duration.ofMillis(25), Duration.ofMillis(250)));
        assertThat(api.retryBudgetPercent()).isEqualTo(20.0);
        assertThat(api.outlierDetection()).isEqualTo(OutlierDetection.of(5, Duration.ofSeconds(30), 50));
        assertThat(api.healthCheck()).isNotNull();
        assertThat(api.healthCheck().path()).isEqualTo("/healthz");
        assertThat(api.healthCheck().settings().interval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(api.maxRequests()).isEqualTo(1024);
        assertThat(api.slowStart()).isEqualTo(Duration.ofSeconds(30));
        assertThat(api.panicThreshold()).isEqualTo(0.5);

        ServiceConfig sessions = services.get(1);
        // No resilience keys for this one in the file: the proxy's defaults, not the builder's.
        assertThat(sessions.retries().attempts()).isEqualTo(1);
        assertThat(sessions.retries().retryOn()).containsExactly(Condition.CONNECT_FAILURE, Condition.RESET);
        assertThat(sessions.retries().retryStatuses()).isEmpty();
        assertThat(sessions.outlierDetection()).isEqualTo(OutlierDetection.of(5, Duration.ofSeconds(30), 50));
        assertThat(sessions.healthCheck()).isNull();
        assertThat(sessions.slowStart()).isZero();
        assertThat(sessions.balancer()).isEqualTo(Policies.RING_HASH);
        assertThat(sessions.hashKey()).hasToString("header:X-User-Id");
        assertThat(sessions.boundedLoad()).isEqualTo(1.25);
        assertThat(sessions.endpoints()).extracting(Endpoint::address)
                .containsExactly("127.0.0.1:9101", "127.0.0.1:9102", "127.0.0.1:9103");

        assertThat(services.get(2).endpoints()).extracting(Endpoint::address)
                .containsExactly("127.0.0.1:9011", "127.0.0.1:9012");
        assertThat(services.get(3).balancer()).as("the default").isEqualTo(Policies.ROUND_ROBIN);

        ServiceConfig statics = services.get(4);
        assertThat(statics.balancer()).isEqualTo(Policies.ROUND_ROBIN);
        assertThat(statics.endpoints()).containsExactly(Endpoint.of("127.0.0.1", 9201)); // ${STATIC_HOST:-127.0.0.1}
        assertThat(ServiceConfigs.fromUpstreams(upstreamsOf(root), Map.of("STATIC_HOST", "10.0.0.7")::get).get(4)
                .endpoints()).containsExactly(Endpoint.of("10.0.0.7", 9201));
    }

    @Test
    void readsWhatSnakeYamlMakesOfTheFileAsWhatJacksonMakesOfIt() throws IOException {
        String text = Files.readString(EXAMPLE);
        Map<String, Object> byJackson = yaml(text);
        Map<String, Object> bySnakeYaml = new Yaml().load(text);

        assertThat(ServiceConfigs.fromUpstreams(upstreamsOf(bySnakeYaml), NO_ENV))
                .usingRecursiveComparison()
                .isEqualTo(ServiceConfigs.fromUpstreams(upstreamsOf(byJackson), NO_ENV));
    }

    // ---- one test per key family ----

    @Test
    void anUpstreamWithNothingTakesTheProxysDefaults() {
        ServiceConfig config = ServiceConfigs.fromUpstream("api", null, NO_ENV);

        assertThat(config.name()).isEqualTo("api");
        assertThat(config.balancer()).isEqualTo(Policies.ROUND_ROBIN);
        assertThat(config.endpoints()).isEmpty(); // allowed: client.setEndpoints (discovery) fills them in
        assertThat(config.hashKey()).isNull();
        assertThat(config.boundedLoad()).isZero();
        assertThat(config.connectTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.responseTimeout()).isEqualTo(Duration.ofSeconds(15));
        assertThat(config.retries().attempts()).isEqualTo(1);
        assertThat(config.outlierDetection()).isEqualTo(OutlierDetection.of(5, Duration.ofSeconds(30), 50));
        assertThat(config.scheme()).isEqualTo("http");
        assertThat(config.hedging()).isNull();
    }

    @Test
    void balancerHashKeyAndBoundedLoad() {
        ServiceConfig ring = api("""
                balancer: ring-hash
                hash_key: cookie:session
                bounded_load: true
                """);
        assertThat(ring.balancer()).isEqualTo(Policies.RING_HASH);
        assertThat(ring.hashKey()).isEqualTo(new ServiceConfig.HashKey(ServiceConfig.HashKey.Source.COOKIE, "session"));
        assertThat(ring.boundedLoad()).isEqualTo(1.25);

        ServiceConfig maglev = api("{ balancer: maglev, hash_key: 'Query: user', bounded_load: 2 }");
        assertThat(maglev.hashKey()).hasToString("query:user");
        assertThat(maglev.boundedLoad()).isEqualTo(2.0);
        assertThat(api("{ balancer: maglev, hash_key: path, bounded_load: false }").boundedLoad()).isZero();

        // As in the proxy, a warning, not an error: the keys are ignored by a balancer that does not hash.
        ServiceConfig roundRobin = api("{ hash_key: header:x-user, bounded_load: 1.5 }");
        assertThat(roundRobin.hashKey()).isNull();
        assertThat(roundRobin.boundedLoad()).isZero();
        // client-ip is valid for the proxy, meaningless in a client: the call's own hashKey(...) is used.
        assertThat(api("{ balancer: ring-hash, hash_key: client-ip }").hashKey()).isNull();
    }

    @Test
    void endpointsShorthandAndMappings() {
        ServiceConfig config = ServiceConfigs.fromUpstreams(yaml("""
                api:
                  endpoints:
                    - 10.0.0.1:8080
                    - "[::1]:8081"
                    - "${HOST}:8082"
                    - { address: 10.0.0.4:8083, weight: 10000, zone: " eu-west-1b ", metadata: { version: 2, canary: true } }
                """), Map.of("HOST", "api.internal")::get).getFirst();

        assertThat(config.endpoints()).containsExactly(
                Endpoint.of("10.0.0.1", 8080),
                Endpoint.of("::1", 8081),
                Endpoint.of("api.internal", 8082),
                new Endpoint("10.0.0.4", 8083, 10_000, "eu-west-1b", Map.of("version", "2", "canary", "true")));
        assertThat(api("endpoints: []").endpoints()).isEmpty();
    }

    @Test
    void aQueryHashKeyWithADelimiterIsReportedWithTheOtherProblems() {
        assertThat(problems("""
                api:
                  balancer: ring-hash
                  hash_key: "query:a&b"
                  connect_timeout: soon
                """)).contains("upstreams.api.hash_key: 'query:a&b': a query parameter name may not hold '&', '=' or"
                        + " '#', which delimit the query")
                .contains("upstreams.api.connect_timeout: 'soon' is not a duration");
    }

    @Test
    void aQueryHashKeyNamesAParameterAsTheBackendReadsItNotAsAToken() {
        // As the proxy reads the same YAML (10a78f3): header and cookie names stay tokens, a query name is
        // written decoded and may hold what a token may not.
        assertThat(api("{ balancer: ring-hash, hash_key: 'query:page[id]' }").hashKey())
                .isEqualTo(new ServiceConfig.HashKey(ServiceConfig.HashKey.Source.QUERY, "page[id]"));
        assertThat(api("{ balancer: maglev, hash_key: 'query: user id' }").hashKey()).hasToString("query:user id");

        assertThat(problems("""
                api:
                  balancer: ring-hash
                  hash_key: "query:a\\u0007b"
                """)).contains("upstreams.api.hash_key: 'query:a\u0007b': a query parameter name may not hold a"
                        + " control character (U+0007)");
        assertThat(problems("""
                api:
                  balancer: ring-hash
                  hash_key: "query:  "
                """)).contains("upstreams.api.hash_key: 'query:': '' is not a valid query name");
        assertThat(problems("""
                api:
                  balancer: ring-hash
                  hash_key: "header:page[id]"
                """)).contains("upstreams.api.hash_key: 'header:page[id]': 'page[id]' is not a valid header name");
    }

    @Test
    void anEtcdDiscoveryIsCheckedAsTheProxyChecksItAndLeftToTheProxy() {
        assertThat(api("{ endpoints: [10.0.0.1:80], discovery: { etcd: { prefix: /services/api/ } } }").endpoints())
                .containsExactly(Endpoint.of("10.0.0.1", 80));
        assertThatThrownBy(() -> api("discovery: { etcd: { prefx: /services/api/ } }"))
                .hasMessageContaining("upstreams.api.discovery.etcd.prefx: unknown key; did you mean 'prefix'?");
        assertThatThrownBy(() -> api("discovery: { etcd: { prefix: '' } }"))
                .hasMessageContaining("upstreams.api.discovery.etcd.prefix: expected a key prefix");
        assertThatThrownBy(() -> api("discovery: { consul: x }"))
                .hasMessageContaining("upstreams.api.discovery.consul: unknown key (expected one of: etcd)");
    }

    @Test
    void timeoutsInTheProxysUnits() {
        ServiceConfig config = api("{ connect_timeout: 250ms, response_timeout: 2m }");

        assertThat(config.connectTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(config.responseTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(api("response_timeout: 1h").responseTimeout()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void retriesWithConditionsStatusesBudgetAndBackoff() {
        ServiceConfig config = api("""
                retries:
                  attempts: 3
                  retry_on: [connect-failure, timeout, 503, "502"]
                  per_try_timeout: 500ms
                  budget_percent: 25%
                  backoff: { base: 10ms, max: 1s }
                """);

        assertThat(config.retries().attempts()).isEqualTo(3);
        assertThat(config.retries().retryOn()).containsExactlyInAnyOrder(Condition.CONNECT_FAILURE, Condition.TIMEOUT);
        assertThat(config.retries().retryStatuses()).containsExactly(502, 503);
        assertThat(config.retries().perTryTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(config.retries().backoff()).isEqualTo(Backoff.exponential(Duration.ofMillis(10), Duration.ofSeconds(1)));
        assertThat(config.retryBudgetPercent()).isEqualTo(25.0);

        ServiceConfig partial = api("retries: { attempts: 2, budget_percent: 12.5 }");
        assertThat(partial.retries().retryOn()).containsExactlyInAnyOrder(Condition.CONNECT_FAILURE, Condition.RESET);
        assertThat(partial.retries().retryStatuses()).isEmpty();
        assertThat(partial.retries().perTryTimeout()).isZero();
        assertThat(partial.retryBudgetPercent()).isEqualTo(12.5);
        assertThat(api("retries: { attempts: 0 }").retries().maxTries()).isEqualTo(1);
        assertThat(api("retries: { backoff: { base: 500ms } }").retries().backoff().max()).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void outlierDetection() {
        assertThat(api("outlier_detection: { consecutive_failures: 3, base_ejection_time: 10s, max_ejection_percent: 20% }")
                .outlierDetection()).isEqualTo(OutlierDetection.of(3, Duration.ofSeconds(10), 20));
        assertThat(api("outlier_detection:").outlierDetection()).isEqualTo(OutlierDetection.of(5, Duration.ofSeconds(30), 50));
        assertThat(api("outlier_detection: { max_ejection_percent: 0 }").outlierDetection().maxEjected(10)).isZero();
    }

    @Test
    void healthChecksHttpAndTcp() {
        ServiceConfig.HealthCheck http = api("""
                health_check:
                  path: /healthz
                  interval: 5s
                  timeout: 500ms
                  unhealthy_threshold: 4
                  healthy_threshold: 1
                  initial_delay: 1s
                  jitter: 20%
                  expected_status: 200-299
                """).healthCheck();
        assertThat(http).isEqualTo(new ServiceConfig.HealthCheck(ServiceConfig.HealthCheck.Type.HTTP, "/healthz", 200, 299,
                new HealthCheckSettings(Duration.ofSeconds(5), Duration.ofMillis(500), 4, 1, Duration.ofSeconds(1), 0.2)));

        assertThat(api("health_check: { path: /ready }").healthCheck())
                .isEqualTo(ServiceConfig.HealthCheck.http("/ready", HealthCheckSettings.defaults()));
        assertThat(api("health_check: { path: /ready, expected_status: [200, 201-204] }").healthCheck())
                .extracting(ServiceConfig.HealthCheck::minStatus, ServiceConfig.HealthCheck::maxStatus)
                .containsExactly(200, 204);
        assertThat(api("health_check: { type: tcp, interval: 1s }").healthCheck())
                .isEqualTo(ServiceConfig.HealthCheck.tcp(HealthCheckSettings.defaults().withInterval(Duration.ofSeconds(1))));
    }

    @Test
    void aHealthCheckPathTheJdkCannotSendIsRefusedNotLeftToFailEveryCheck() {
        for (String path : List.of("/status|full", "/a{b}", "/x^y", "/%zz", "/ok#part")) {
            assertThatThrownBy(() -> api("health_check: { path: '" + path + "' }")).as(path)
                    .hasMessageContaining("health_check.path").hasMessageContaining(path);
            assertThatThrownBy(() -> ServiceConfig.HealthCheck.http(path, HealthCheckSettings.defaults())).as(path)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(path);
        }
        assertThat(api("health_check: { path: '/status%7Cfull?verbose=1&a=b+c' }").healthCheck().path())
                .isEqualTo("/status%7Cfull?verbose=1&a=b+c");
        assertThat(api("health_check: { path: '//healthz' }").healthCheck().path()).as("as the proxy takes it")
                .isEqualTo("//healthz");
    }

    @Test
    void circuitBreakerSlowStartAndPanicThreshold() {
        ServiceConfig config = api("""
                circuit_breaker: { max_connections: 10, max_pending_requests: 5, max_requests: 64 }
                slow_start: 30s
                panic_threshold: 25%
                """);

        assertThat(config.maxRequests()).isEqualTo(64);
        assertThat(config.slowStart()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.panicThreshold()).isEqualTo(0.25);
        assertThat(api("panic_threshold: 0").panicThreshold()).isZero();
    }

    @Test
    void hostHeaderAndRetryOnAreReadByTheProxysRules() {
        assertThat(problems("api: { host_header: Preserve }")).contains("upstreams.api.host_header: 'Preserve' is not a"
                + " keyword; did you mean 'preserve'?");
        assertThat(problems("api: { host_header: 'https://api.internal' }")).contains("is a URL, not a host");
        assertThat(problems("api: { retries: { attempts: 2, retry_on: [] } }")).contains("upstreams.api.retries.retry_on:"
                + " an empty list retries nothing");

        ServiceConfig emptyKey = api("""
                retries:
                  attempts: 2
                  retry_on:
                """);
        assertThat(emptyKey.retries().retryOn()).as("the default, as in the proxy")
                .containsExactlyInAnyOrder(Condition.CONNECT_FAILURE, Condition.RESET);
        assertThat(api("retries: { attempts: 0, retry_on: [] }").retries().maxTries()).isEqualTo(1);
        assertThat(problems("api: { retries: { retry_on: [٥٠٣] } }")).as("ASCII digits only, as in the proxy")
                .contains("upstreams.api.retries.retry_on[0]: unknown retry condition '٥٠٣'");
        assertThat(problems("api: { health_check: { path: /h, expected_status: ٢٠٠-٣٩٩ } }"))
                .as("ASCII digits only, as in the proxy").contains("upstreams.api.health_check.expected_status:"
                        + " '٢٠٠-٣٩٩' is not a status code or range (expected: " + StatusCodes.EXPECTED + ")");
    }

    @Test
    void keysOnlyTheProxyUsesAreCheckedThenIgnored() {
        ServiceConfig config = api("""
                idle_timeout: 90s
                pool: { max_connections_per_endpoint: 16, max_idle_per_endpoint: 4 }
                host_header: static.internal
                """);
        assertThat(config).usingRecursiveComparison().isEqualTo(ServiceConfigs.fromUpstream("api", Map.of(), NO_ENV));

        assertThat(problems("api: { idle_timeout: 0, pool: { max_idle_per_endpoint: 2000 }, host_header: 'a b' }"))
                .contains("upstreams.api.idle_timeout: '0' is too short (expected: more than 0)")
                .contains("upstreams.api.pool.max_idle_per_endpoint: 2000 is more than max_connections_per_endpoint 1024")
                .contains("upstreams.api.host_header: 'a b' is no host");


        // resolve: all spreads over a name's addresses in the proxy; here the name stays one endpoint.
        assertThat(api("endpoints: [{ address: api.headless.svc:8080, resolve: all }]").endpoints())
                .containsExactly(Endpoint.of("api.headless.svc", 8080));
        assertThat(problems("api: { endpoints: [{ address: api.svc:8080, resolve: al }] }"))
                .contains("upstreams.api.endpoints[0].resolve: unknown resolve mode 'al'; did you mean 'all'?");
        assertThat(problems("api: { endpoints: [{ address: 10.0.0.7:8080, resolve: all }] }"))
                .contains("upstreams.api.endpoints[0].resolve: 'all' needs a host name, and 10.0.0.7 is an IP address");
    }

    // ---- errors ----

    @Test
    void reportsEveryProblemAtOnceWithItsPath() {
        String message = problems("""
                api:
                  balancer: round-robbin
                  conect_timeout: 1s
                  response_timeout: 15
                  endpoints:
                    - 127.0.0.1:70000
                    - { address: http://127.0.0.1:9002, weight: 0 }
                    - { weight: 2 }
                  retries:
                    attempts: -1
                    retry_on: [reset, 200, resets]
                    backoff: { base: 1s, max: 10ms }
                  outlier_detection: { max_ejection_percent: 12.5 }
                  health_check: { type: tcp, path: /healthz, jitter: 100% }
                  panic_threshold: 0.5
                  slow_start: 25h
                web:
                  endpoints: [web:80, web:80, my_svc:80]
                  metadata: { a: b }
                static: everything
                "bad name!": {}
                """);

        assertThat(message.lines()).first().isEqualTo("21 problems in upstreams:");
        assertThat(message.lines().skip(1)).allSatisfy(line -> assertThat(line).startsWith("upstreams."));
        assertThat(message.lines().skip(1)).containsExactlyInAnyOrder(
                "upstreams.api.conect_timeout: unknown key; did you mean 'connect_timeout'?",
                "upstreams.api.balancer: unknown balancer 'round-robbin'; did you mean 'round-robin'? (expected one of: "
                        + String.join(", ", Policies.ids()) + ")",
                "upstreams.api.endpoints[0]: port 70000 out of range (expected: 1..65535)",
                "upstreams.api.endpoints[1].address: 'http://127.0.0.1:9002' is a URL"
                        + " (expected: host:port, like 127.0.0.1:8080 or [::1]:8080, no scheme)",
                "upstreams.api.endpoints[1].weight: 0 out of range (expected: 1..10000)",
                "upstreams.api.endpoints[2]: missing 'address' (expected: host:port)",
                "upstreams.api.response_timeout: '15' has no unit (expected: a duration like 250ms, 2s, 1m or 1h)",
                "upstreams.api.health_check.path: a tcp check sends no request (expected: type http, or no path)",
                "upstreams.api.health_check.jitter: '100%' out of range (expected: 0% up to 99%)",
                "upstreams.api.outlier_detection.max_ejection_percent: 12.5 is not a whole number (expected: 0..100)",
                "upstreams.api.retries.attempts: -1 out of range (expected: 0..10)",
                "upstreams.api.retries.retry_on[1]: status 200 out of range (expected: 400..599, such as 502, 503, 504)",
                "upstreams.api.retries.retry_on[2]: unknown retry condition 'resets'; did you mean 'reset'?"
                        + " (expected: connect-failure, reset, timeout, or a status code 400..599 such as 503)",
                "upstreams.api.retries.backoff.max: 10ms is less than base (1000ms) (expected: at least base)",
                "upstreams.api.slow_start: '25h' is too long (expected: at most 24h)",
                "upstreams.api.panic_threshold: '0.5' has no % sign (expected: a percentage like 10% or 50%)",
                "upstreams.web.metadata: unknown key (expected one of: balancer, hash_key, bounded_load, endpoints,"
                        + " connect_timeout, response_timeout, idle_timeout, pool, host_header, dns_refresh, discovery, health_check,"
                        + " outlier_detection, retries, circuit_breaker, slow_start, panic_threshold)",
                "upstreams.web.endpoints[1]: duplicate endpoint web:80 (also upstreams.web.endpoints[0])",
                "upstreams.web.endpoints[2]: 'my_svc:80' cannot be used in a URI (java.net.URI takes no '_' or other"
                        + " non-URI character in a host name)",
                "upstreams.static: expected a mapping with keys balancer, hash_key, bounded_load, endpoints,"
                        + " connect_timeout, response_timeout, idle_timeout, pool, host_header, dns_refresh, discovery, health_check,"
                        + " outlier_detection, retries, circuit_breaker, slow_start, panic_threshold, got 'everything'",
                "upstreams.bad name!: 'bad name!' is not a valid upstream name"
                        + " (expected: letters, digits, '-' and '_', starting with a letter or digit, up to 63"
                        + " characters)");
    }

    @Test
    void saysWhatTheProxySaysOfAMisspeltHealthCheckKeyAndOfEndpointsThatDifferOnlyInCase() {
        String message = problems("""
                api:
                  endpoints: [API.internal:80, api.internal:80]
                  health_check: { paht: /healthz }
                tcp:
                  endpoints: [127.0.0.1:9001]
                  health_check: { typ: tcp }
                """);

        assertThat(message.lines().skip(1)).containsExactlyInAnyOrder(
                "upstreams.api.endpoints[1]: duplicate endpoint api.internal:80 (also upstreams.api.endpoints[0] as"
                        + " API.internal:80: host names are case-insensitive)",
                "upstreams.api.health_check.paht: unknown key; did you mean 'path'?",
                "upstreams.tcp.health_check.typ: unknown key; did you mean 'type'?");
    }

    @Test
    void anExpectedStatusOf1xxIsRefusedForNoCheckEndsOnAnInterimAnswer() {
        assertThat(problems("""
                api:
                  endpoints: [127.0.0.1:9001]
                  health_check: { path: /healthz, expected_status: 100-299 }
                """)).contains("upstreams.api.health_check.expected_status: '100-299' has 1xx codes, which are"
                + " interim: a check waits past them for the final status (expected: 200..599)");
        assertThatThrownBy(() -> ServiceConfig.HealthCheck.http("/healthz", HealthCheckSettings.defaults())
                .withExpectedStatus(101, 101)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("health_check.expected_status: 101-101 (expected: a range within 200-599; a 1xx is"
                        + " interim, never the final status)");
        assertThat(ServiceConfig.HealthCheck.tcp(HealthCheckSettings.defaults()).minStatus()).isEqualTo(200);
    }

    @Test
    void wrongShapesAreProblemsNotExceptionsFromInside() {
        String message = problems("""
                api:
                  endpoints: 127.0.0.1:9001
                  retries: 3
                  health_check: { expected_status: "200-299, 304", interval: [1s] }
                  outlier_detection: { consecutive_failures: many }
                  circuit_breaker: { max_requests: 0 }
                  hash_key: ip
                  bounded_load: 0.5
                  connect_timeout: "${MISSING}"
                """);

        assertThat(message).contains(
                "upstreams.api.endpoints: expected a list of endpoints (host:port, or a mapping with address, weight,"
                        + " zone, metadata, resolve), got '127.0.0.1:9001'",
                "upstreams.api.retries: expected a mapping with keys attempts, retry_on, per_try_timeout,"
                        + " budget_percent, backoff, got '3'",
                "upstreams.api.health_check: missing 'path' (expected: the path an HTTP check asks for, like /healthz;"
                        + " or type: tcp to check that a connection opens)",
                "upstreams.api.health_check.expected_status: '200-299, 304' has gaps, which the client's health check"
                        + " cannot express (expected: one range such as 200-304)",
                "upstreams.api.health_check.interval: expected a duration like 250ms, 2s, 1m or 1h, got a list",
                "upstreams.api.outlier_detection.consecutive_failures: 'many' is not a whole number (expected: 1..1000)",
                "upstreams.api.circuit_breaker.max_requests: 0 out of range (expected: 1..10000000)",
                "upstreams.api.hash_key: 'ip' is not a hash key (expected: header:NAME, cookie:NAME, query:NAME,"
                        + " client-ip or path)",
                "upstreams.api.bounded_load: 0.5 out of range (expected: 0 for off, true for 1.25, or a factor of at"
                        + " least 1.0, at most 100)",
                "upstreams.api.connect_timeout: environment variable MISSING is not set (set it, or give a default:"
                        + " ${MISSING:-value})");
        assertThat(message).doesNotContain("Exception", "\tat ");
    }

    @Test
    void aWholeNumberPastWhatALongHoldsIsOutOfRangeAsInTheProxy() {
        assertThat(problems("api: { endpoints: [{ address: 127.0.0.1:9001, weight: 99999999999999999999 }] }"))
                .isEqualTo("1 problem in upstreams:\nupstreams.api.endpoints[0].weight: 99999999999999999999 out of"
                        + " range (expected: 1..10000)");
    }

    @Test
    void digitsOtherThanAsciiAreNoWholeNumberAsInTheProxy() {
        // Long.parseLong reads Arabic-Indic digits as 10; the proxy refuses them.
        assertThat(problems("api: { endpoints: [{ address: 127.0.0.1:9001, weight: \"\u0661\u0660\" }] }"))
                .isEqualTo("1 problem in upstreams:\nupstreams.api.endpoints[0].weight: '\u0661\u0660' is not a"
                        + " whole number (expected: 1..10000)");
    }

    @Test
    void oneUpstreamIsReportedUnderItsPath() {
        assertThatThrownBy(() -> ServiceConfigs.fromUpstream("orders", Map.of("retries", Map.of("attempts", 11))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("1 problem in upstreams:\nupstreams.orders.retries.attempts: 11 out of range (expected: 0..10)");
    }

    // ---- end to end ----

    @Test
    void aClientBuiltFromYamlBalancesOverTwoLiveEndpoints() {
        try (Backend light = Backend.start("light"); Backend heavy = Backend.start("heavy")) {
            List<ServiceConfig> services = ServiceConfigs.fromUpstreams(yaml("""
                    orders:
                      balancer: weighted-round-robin
                      endpoints:
                        - ${LIGHT}
                        - { address: "${HEAVY}", weight: 3 }
                      connect_timeout: 500ms
                      response_timeout: 5s
                      retries: { attempts: 1, retry_on: [connect-failure, 503] }
                    """), Map.of("LIGHT", light.address(), "HEAVY", heavy.address())::get);

            try (BallastClient client = BallastClient.builder().services(services).build()) {
                Map<String, Long> answers = new TreeMap<>();
                for (int i = 0; i < 40; i++) {
                    ClientResponse response = client.send(request("orders").path("/v1/orders/" + i));
                    assertThat(response.status()).isEqualTo(200);
                    answers.merge(response.bodyText(), 1L, Long::sum);
                }

                assertThat(answers).containsExactly(Map.entry("heavy", 30L), Map.entry("light", 10L));
                assertThat(client.endpoints("orders")).extracting(EndpointStatus::address)
                        .containsExactlyInAnyOrder(light.address(), heavy.address());
            }
        }
    }
}
