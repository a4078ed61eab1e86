package dev.ballast.client;

import dev.ballast.client.internal.UriHost;
import dev.ballast.core.config.HashKeyNames;
import dev.ballast.core.config.HealthCheckPaths;
import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.health.HealthCheckSettings;
import dev.ballast.core.outlier.OutlierDetection;
import dev.ballast.core.pick.Policies;
import dev.ballast.core.resilience.CircuitBreaker;
import dev.ballast.core.resilience.RetryBudget;
import dev.ballast.core.resilience.RetryPolicy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One named service the client calls: the same settings as one entry of the proxy's
 * {@code upstreams} (docs/client.md maps every YAML key onto a component), so a service and the proxy
 * agree on their configuration: {@link ServiceConfigs} builds these records from the proxy's YAML as
 * parsed by any YAML library. The client itself depends on no YAML library.
 *
 * <p>Validated once when built; an invalid config fails with every problem and its path, e.g.
 * {@code services.orders.balancer: 'fastest' (expected one of: round-robin, ...)}.
 *
 * @param name            the service name requests address
 * @param endpoints       {@code endpoints}; may be empty if a discovery source fills them in later
 * @param balancer        {@code balancer}: a core balancer id
 * @param hashKey         {@code hash_key}: where {@code ring-hash}/{@code maglev} find a request's key; null for none
 * @param boundedLoad     {@code bounded_load}: c of consistent hashing with bounded loads; 0 for off
 * @param scheme          {@code http} or {@code https}
 * @param connectTimeout  {@code connect_timeout}
 * @param responseTimeout {@code response_timeout}: per attempt, until the whole response is read
 * @param slowStart       {@code slow_start}: ramp window for endpoints that join or recover; zero for off
 * @param panicThreshold  {@code panic_threshold}: 0..1
 * @param retries         {@code retries}: the core's policy ({@link RetryPolicy#none()} for none)
 * @param retryBudgetPercent {@code retries.budget_percent}: retries in flight as a share of calls in flight
 * @param outlierDetection {@code outlier_detection}: the core's settings, or null for off
 * @param healthCheck     {@code health_check}: active checks, or null for off
 * @param maxRequests     {@code circuit_breaker.max_requests}: attempts in flight to the service; the
 *                        other two limits have no meaning over {@code HttpClient}, which owns its
 *                        connections and its queue
 * @param hedging         {@code hedging} (client only): null for off
 * @param maxResponseBytes (client only) the longest response body an attempt reads; a longer one fails
 *                        the call with {@link CallException.Kind#RESPONSE_TOO_LARGE}
 */
public record ServiceConfig(
        String name,
        List<Endpoint> endpoints,
        String balancer,
        HashKey hashKey,
        double boundedLoad,
        String scheme,
        Duration connectTimeout,
        Duration responseTimeout,
        Duration slowStart,
        double panicThreshold,
        RetryPolicy retries,
        double retryBudgetPercent,
        OutlierDetection outlierDetection,
        HealthCheck healthCheck,
        int maxRequests,
        Hedging hedging,
        long maxResponseBytes) {

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(1);
    public static final Duration DEFAULT_RESPONSE_TIMEOUT = Duration.ofSeconds(15);
    /** Bodies are read whole into the heap: 64 MiB is far above an API's answers and far below a heap's size. */
    public static final long DEFAULT_MAX_RESPONSE_BYTES = 64L << 20;

    public ServiceConfig {
        Objects.requireNonNull(name, "name");
        endpoints = List.copyOf(endpoints);
        List<String> problems = new ArrayList<>();
        String at = "services." + name + ".";
        if (name.isBlank()) {
            problems.add("services: a service with an empty name (expected: a name such as orders)");
        }
        // Host names are case-insensitive (RFC 4343): API.internal:80 and api.internal:80 are one endpoint.
        Map<String, Integer> firstAt = new HashMap<>();
        for (int i = 0; i < endpoints.size(); i++) {
            Integer first = firstAt.putIfAbsent(endpoints.get(i).address().toLowerCase(Locale.ROOT), i);
            if (first != null) {
                problems.add(at + "endpoints[" + i + "]: duplicate endpoint " + endpoints.get(i).address()
                        + " (also endpoints[" + first + "])");
            }
        }
        if (balancer == null || Policies.byId(balancer, dev.ballast.core.pick.BalancerOptions.defaults()).isEmpty()) {
            problems.add(at + "balancer: '" + balancer + "' (expected one of: " + String.join(", ", Policies.ids()) + ")");
        }
        if (hashKey != null && balancer != null && !Policies.isHashBased(balancer)) {
            problems.add(at + "hash_key: set, but balancer " + balancer + " ignores it (expected: ring-hash or maglev)");
        }
        if (boundedLoad != 0 && !(boundedLoad >= 1.0)) {
            problems.add(at + "bounded_load: " + boundedLoad + " (expected: 0 for off, or >= 1.0)");
        }
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            problems.add(at + "scheme: '" + scheme + "' (expected: http or https)");
        }
        positive(problems, at + "connect_timeout", connectTimeout);
        positive(problems, at + "response_timeout", responseTimeout);
        if (slowStart == null || slowStart.isNegative() || slowStart.compareTo(LONGEST) > 0) {
            problems.add(at + "slow_start: " + slowStart + " (expected: >= 0s, at most 365 days)");
        }
        if (!(panicThreshold >= 0 && panicThreshold <= 1)) {
            problems.add(at + "panic_threshold: " + panicThreshold + " (expected: 0..1)");
        }
        Objects.requireNonNull(retries, "retries");
        if (!(retryBudgetPercent >= 0 && retryBudgetPercent <= 100)) {
            problems.add(at + "retries.budget_percent: " + retryBudgetPercent + " (expected: 0..100)");
        }
        if (maxRequests < 1) {
            problems.add(at + "circuit_breaker.max_requests: " + maxRequests + " (expected: >= 1)");
        }
        if (hedging != null) {
            hedging.validate(at + "hedging.", problems);
        }
        if (maxResponseBytes < 1 || maxResponseBytes > Integer.MAX_VALUE - 8) {
            problems.add(at + "maxResponseBytes: " + maxResponseBytes + " (expected: 1.." + (Integer.MAX_VALUE - 8)
                    + ", the most a byte array holds)");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("\n", problems));
        }
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** How long one try may take: {@code retries.per_try_timeout} when set and shorter, else {@code response_timeout}. */
    public Duration tryTimeout() {
        Duration perTry = retries.perTryTimeout();
        return perTry.isZero() || perTry.compareTo(responseTimeout) > 0 ? responseTimeout : perTry;
    }

    /** Longer than any timeout could mean, and far inside a count of nanoseconds (292 years). */
    private static final Duration LONGEST = Duration.ofDays(365);

    private static void positive(List<String> problems, String path, Duration value) {
        if (value == null || value.isNegative() || value.isZero() || value.compareTo(LONGEST) > 0) {
            problems.add(path + ": " + value + " (expected: positive, at most 365 days)");
        }
    }

    /**
     * {@code hash_key}: {@code header:NAME | cookie:NAME | query:NAME | path}. The proxy's
     * {@code client-ip} has no meaning inside a client; use {@link ClientRequest#hashKey} instead.
     *
     * <p>A header or cookie name is an RFC 9110 token (a field-name, an RFC 6265 cookie-name), as in
     * the proxy: letters, digits and {@code !#$%&'*+-.^_`|~}; {@code header:bad name} is refused, here
     * as from the YAML, in the YAML reader's words.
     *
     * <p>A query parameter name is written decoded, as a backend reads it: it is compared with each
     * parameter's percent-decoded name, so {@code query:page[id]} finds {@code ?page[id]=7} and
     * {@code ?page%5Bid%5D=7} alike, as the proxy's does. Any name is allowed but a blank one, one with a
     * control character, and one holding the {@code &}, {@code =} or {@code #} that delimit a query.
     * Both rules are the core's {@link HashKeyNames}, which the proxy follows too.
     */
    public record HashKey(Source source, String name) {

        public enum Source { HEADER, COOKIE, QUERY, PATH }

        private static final String QUERY_EXPECTED = "expected: the name as the backend reads it, decoded,"
                + " e.g. query:page[id]";
        /** What {@link #parse} takes: the YAML's list but {@code client-ip}, which it refuses. */
        private static final String EXPECTED = "header:NAME, cookie:NAME, query:NAME or path";

        public HashKey {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(name, "name");
            if (source == Source.PATH ? !name.isEmpty() : name.isBlank()) {
                throw new IllegalArgumentException("hash_key: " + source.name().toLowerCase(Locale.ROOT)
                        + (source != Source.PATH ? " without a name (expected: header:NAME, cookie:NAME or query:NAME)"
                        : " takes no name (expected: path)"));
            }
            if (source == Source.QUERY) {
                String problem = HashKeyNames.queryNameProblem(name);
                if (problem != null) {
                    throw new IllegalArgumentException("hash_key: 'query:" + name + "': " + problem + " ("
                            + QUERY_EXPECTED + ")");
                }
            } else if (source != Source.PATH && !HashKeyNames.isToken(name)) {
                throw new IllegalArgumentException("hash_key: '" + source.name().toLowerCase(Locale.ROOT) + ":" + name
                        + "': '" + name + "' is not a valid " + source.name().toLowerCase(Locale.ROOT)
                        + " name (expected: " + EXPECTED + ")");
            }
        }

        /** Parses the YAML form, e.g. {@code header:X-User-Id}. */
        public static HashKey parse(String text) {
            Objects.requireNonNull(text, "hash_key");
            String spec = text.strip();
            if (spec.equals("path")) {
                return new HashKey(Source.PATH, "");
            }
            int colon = spec.indexOf(':');
            String kind = colon < 0 ? spec : spec.substring(0, colon);
            String name = colon < 0 ? "" : spec.substring(colon + 1).strip();
            Source source = switch (kind) {
                case "header" -> Source.HEADER;
                case "cookie" -> Source.COOKIE;
                case "query" -> Source.QUERY;
                default -> throw new IllegalArgumentException("hash_key: '" + text
                        + "' (expected: header:NAME, cookie:NAME, query:NAME or path"
                        + (kind.equals("client-ip") ? "; client-ip is for the proxy, use ClientRequest.hashKey" : "")
                        + ")");
            };
            return new HashKey(source, name);
        }

        @Override
        public String toString() {
            return source == Source.PATH ? "path" : source.name().toLowerCase(Locale.ROOT) + ":" + name;
        }
    }

    /**
     * {@code health_check}: active checks of every endpoint, by the core's {@code HealthMonitor}
     * (thresholds, interval, jitter in {@code settings}); what is sent is the client's part: an HTTP
     * {@code GET path} over the service's HTTP client expecting a status in {@code [minStatus,
     * maxStatus]}, or ({@code type: tcp}) a connection that opens.
     */
    public record HealthCheck(Type type, String path, int minStatus, int maxStatus, HealthCheckSettings settings) {

        public enum Type { HTTP, TCP }

        public HealthCheck {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(settings, "settings");
            if (type == Type.HTTP) {
                String problem = HealthCheckPaths.problem(path);
                if (problem != null) {
                    throw new IllegalArgumentException("health_check.path: " + problem);
                }
            }
            if (minStatus < 200 || maxStatus > 599 || minStatus > maxStatus) {
                throw new IllegalArgumentException("health_check.expected_status: " + minStatus + "-" + maxStatus
                        + " (expected: a range within 200-599; a 1xx is interim, never the final status)");
            }
        }

        /** {@code GET path}, healthy on 200-399 (the proxy's default {@code expected_status}). */
        public static HealthCheck http(String path, HealthCheckSettings settings) {
            return new HealthCheck(Type.HTTP, path, 200, 399, settings);
        }

        /** Healthy when a TCP connection opens. */
        public static HealthCheck tcp(HealthCheckSettings settings) {
            return new HealthCheck(Type.TCP, "", 200, 599, settings);
        }

        public HealthCheck withExpectedStatus(int min, int max) {
            return new HealthCheck(type, path, min, max, settings);
        }
    }

    /**
     * {@code hedging}: after {@code delay} without a response, send the same request to another
     * endpoint; the first good response wins and the others are cancelled. Only idempotent requests
     * are hedged.
     *
     * @param maxAttempts total attempts, the first included (2 = one hedge)
     * @param delay       how long to wait before each hedge; with a percentile, the delay used until
     *                    enough latencies are known
     * @param percentile  0 for a fixed delay; else e.g. 0.95 to hedge at the service's observed p95
     */
    public record Hedging(int maxAttempts, Duration delay, double percentile) {

        public static Hedging fixed(Duration delay) {
            return new Hedging(2, delay, 0);
        }

        /** Hedges at the observed latency percentile, using {@code initialDelay} until it is known. */
        public static Hedging atPercentile(double percentile, Duration initialDelay) {
            return new Hedging(2, initialDelay, percentile);
        }

        public Hedging withMaxAttempts(int attempts) {
            return new Hedging(attempts, delay, percentile);
        }

        void validate(String at, List<String> problems) {
            if (maxAttempts < 2 || maxAttempts > 10) {
                problems.add(at + "max_attempts: " + maxAttempts + " (expected: 2..10)");
            }
            positive(problems, at + "delay", delay);
            if (percentile != 0 && !(percentile > 0 && percentile < 1)) {
                problems.add(at + "percentile: " + percentile + " (expected: 0 for a fixed delay, or 0..1 such as 0.95)");
            }
        }
    }

    /** Builds a {@link ServiceConfig}; every setting but the name has the proxy's default. */
    public static final class Builder {

        private final String name;
        private List<Endpoint> endpoints = List.of();
        private String balancer = Policies.ROUND_ROBIN;
        private HashKey hashKey;
        private double boundedLoad;
        private String scheme = "http";
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration responseTimeout = DEFAULT_RESPONSE_TIMEOUT;
        private Duration slowStart = Duration.ZERO;
        private double panicThreshold = 0.5;
        private RetryPolicy retries = RetryPolicy.none();
        private double retryBudgetPercent = RetryBudget.DEFAULT_BUDGET_PERCENT;
        private OutlierDetection outlierDetection;
        private HealthCheck healthCheck;
        private int maxRequests = CircuitBreaker.DEFAULT_LIMIT;
        private Hedging hedging;
        private long maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES;

        private Builder(String name) {
            this.name = Objects.requireNonNull(name, "name");
        }

        public Builder endpoints(List<Endpoint> list) {
            for (Endpoint endpoint : list) {
                UriHost.check(endpoint.address());
            }
            this.endpoints = List.copyOf(list);
            return this;
        }

        /** Endpoints as {@code host:port} ({@code [::1]:8080} for IPv6). */
        public Builder endpoints(String... addresses) {
            List<Endpoint> list = new ArrayList<>(addresses.length);
            for (String address : addresses) {
                list.add(Endpoint.parse(address));
            }
            return endpoints(list);
        }

        public Builder balancer(String id) {
            this.balancer = id;
            return this;
        }

        public Builder hashKey(String spec) {
            this.hashKey = HashKey.parse(spec);
            return this;
        }

        public Builder boundedLoad(double c) {
            this.boundedLoad = c;
            return this;
        }

        public Builder scheme(String value) {
            this.scheme = value;
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        public Builder responseTimeout(Duration timeout) {
            this.responseTimeout = timeout;
            return this;
        }

        public Builder slowStart(Duration window) {
            this.slowStart = window;
            return this;
        }

        public Builder panicThreshold(double threshold) {
            this.panicThreshold = threshold;
            return this;
        }

        /** The core's retry policy: attempts, retry_on, per-try timeout, backoff. */
        public Builder retries(RetryPolicy policy) {
            this.retries = policy;
            return this;
        }

        public Builder retryBudgetPercent(double percent) {
            this.retryBudgetPercent = percent;
            return this;
        }

        /** The core's outlier detection settings; null turns it off. */
        public Builder outlierDetection(OutlierDetection settings) {
            this.outlierDetection = settings;
            return this;
        }

        /** Active health checks; null turns them off. */
        public Builder healthCheck(HealthCheck settings) {
            this.healthCheck = settings;
            return this;
        }

        public Builder maxRequests(int max) {
            this.maxRequests = max;
            return this;
        }

        public Builder hedging(Hedging settings) {
            this.hedging = settings;
            return this;
        }

        /** The longest response body an attempt reads (default 64 MiB); see {@link ServiceConfig}. */
        public Builder maxResponseBytes(long bytes) {
            this.maxResponseBytes = bytes;
            return this;
        }

        public ServiceConfig build() {
            return new ServiceConfig(name, endpoints, balancer, hashKey, boundedLoad, scheme, connectTimeout,
                    responseTimeout, slowStart, panicThreshold, retries, retryBudgetPercent, outlierDetection,
                    healthCheck, maxRequests, hedging, maxResponseBytes);
        }
    }
}
