package dev.ballast.proxy.route;

import dev.ballast.core.pick.Policies;
import dev.ballast.core.time.Scheduler;
import dev.ballast.proxy.config.HashKey;
import dev.ballast.proxy.config.MatchConfig;
import dev.ballast.proxy.config.RouteConfig;
import dev.ballast.proxy.http.ProxyPipeline;
import dev.ballast.proxy.testing.TestConfigs;
import dev.ballast.proxy.upstream.Upstream;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class RouteTableTest {

    private static EventLoopGroup group;
    private static Map<String, Upstream> upstreams;

    @BeforeAll
    static void upstreams() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        upstreams = Map.of(
                "a", Upstream.create(TestConfigs.upstream("a", Policies.ROUND_ROBIN, List.of()), group,
                        NioSocketChannel.class, ProxyPipeline.upstreamInitializer(), Scheduler.of(group)),
                "b", Upstream.create(TestConfigs.upstream("b", Policies.ROUND_ROBIN, List.of()), group,
                        NioSocketChannel.class, ProxyPipeline.upstreamInitializer(), Scheduler.of(group)),
                "c", Upstream.create(TestConfigs.upstream("c", Policies.ROUND_ROBIN, List.of()), group,
                        NioSocketChannel.class, ProxyPipeline.upstreamInitializer(), Scheduler.of(group)));
    }

    @AfterAll
    static void stop() {
        group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static MatchConfig match(String host, String path, String prefix, String regex, Set<String> methods,
                                     Map<String, String> headers, Map<String, String> query) {
        return new MatchConfig(host, path, prefix, regex == null ? null : Pattern.compile(regex), methods, headers, query);
    }

    private static HttpRequest request(HttpMethod method, String uri, String... headers) {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri);
        for (int i = 0; i < headers.length; i += 2) {
            request.headers().add(headers[i], headers[i + 1]);
        }
        return request;
    }

    private static String route(RouteTable table, HttpRequest request) {
        RouteRule rule = table.match(request, new QueryStringDecoder(request.uri()).path());
        return rule == null ? null : rule.choose(null).upstream().name();
    }

    @Test
    void aPathThatSetsAPatternBacktrackingWithoutEndGoesToTheNextRouteWithinMilliseconds() {
        RouteTable table = RouteTable.compile(List.of(
                new RouteConfig("users", match(null, null, null, "^/user/[0-9]+$", Set.of(), Map.of(), Map.of()), "c"),
                new RouteConfig("greedy", match(null, null, null, "^/(.*a){20}$", Set.of(), Map.of(), Map.of()), "a"),
                new RouteConfig("rest", match(null, null, "/", null, Set.of(), Map.of(), Map.of()), "b")), upstreams);
        String path = "/" + "a".repeat(50) + "b"; // a client's choice: 2^50 ways to try the groups

        String routed = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> route(table, request(HttpMethod.GET, path)));

        assertThat(routed).isEqualTo("b");
        assertThat(route(table, request(HttpMethod.GET, "/user/" + "4".repeat(5_000)))).as("a sane pattern, a long path")
                .isEqualTo("c");
    }

    @Test
    void onlyTheRoutesOfARequestsFirstPathSegmentAreTriedAndTheFirstMatchStillWins() {
        List<String> paths = List.of("/", "/a", "/a/", "/a/b", "/ab", "/ab/", "/b/a", "/a%2F", "*", "//a/");
        List<String> prefixes = List.of("/", "/a", "/a/", "/a/b", "/ab/", "/b");
        SplittableRandom random = new SplittableRandom(11);
        int matched = 0;
        for (int trial = 0; trial < 200; trial++) {
            List<RouteConfig> configs = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                String upstream = List.of("a", "b", "c").get(random.nextInt(3));
                String host = random.nextBoolean() ? "h.example.com" : null;
                Set<String> methods = random.nextBoolean() ? Set.of("POST") : Set.of();
                MatchConfig match = switch (random.nextInt(7)) {
                    case 0, 1, 2 -> match(host, paths.get(random.nextInt(paths.size())), null, null, methods, Map.of(),
                            Map.of());
                    case 3, 4 -> match(host, null, prefixes.get(random.nextInt(prefixes.size())), null, methods, Map.of(),
                            Map.of());
                    case 5 -> match(host, null, null, "^/a.*", methods, Map.of(), Map.of());
                    default -> match(host, null, null, null, methods, Map.of(), Map.of());
                };
                configs.add(new RouteConfig("r" + i, match, upstream));
            }
            RouteTable table = RouteTable.compile(configs, upstreams);
            for (String path : paths) {
                HttpRequest request = random.nextBoolean() ? request(HttpMethod.GET, path, "Host", "h.example.com")
                        : request(HttpMethod.POST, path);
                RouteRule expected = table.rules().stream().filter(rule -> rule.matches(request, path)).findFirst()
                        .orElse(null);
                assertThat(table.match(request, path)).as("trial %d, %s %s", trial, request.method(), path)
                        .isSameAs(expected);
                matched += expected == null ? 0 : 1;
            }
        }
        assertThat(matched).as("the tables match some requests and not others").isBetween(200, 1900);
    }

    @Test
    void firstMatchingRouteWinsInFileOrder() {
        RouteTable table = RouteTable.compile(List.of(
                new RouteConfig("api", match(null, null, "/api/", null, Set.of(), Map.of(), Map.of()), "a"),
                new RouteConfig("rest", match(null, null, "/", null, Set.of(), Map.of(), Map.of()), "b")), upstreams);

        assertThat(route(table, request(HttpMethod.GET, "/api/users"))).isEqualTo("a");
        assertThat(route(table, request(HttpMethod.GET, "/apix"))).isEqualTo("b");
        assertThat(table.routes()).extracting(Route::name).containsExactly("api", "rest");
    }

    @Test
    void matchesHostIgnoringCaseAndPortAndWildcards() {
        RouteTable table = RouteTable.compile(List.of(
                new RouteConfig(null, match("api.example.com", null, null, null, Set.of(), Map.of(), Map.of()), "a"),
                new RouteConfig(null, match("*.example.org", null, null, null, Set.of(), Map.of(), Map.of()), "b")),
                upstreams);

        assertThat(route(table, request(HttpMethod.GET, "/", "Host", "API.Example.com:8443"))).isEqualTo("a");
        assertThat(route(table, request(HttpMethod.GET, "/", "Host", "api.example.com.evil"))).isNull();
        assertThat(route(table, request(HttpMethod.GET, "/", "Host", "shop.example.org"))).isEqualTo("b");
        assertThat(route(table, request(HttpMethod.GET, "/", "Host", "example.org"))).isNull();
        assertThat(route(table, request(HttpMethod.GET, "/", "Host", "api.example.com.:80"))).as("fully qualified")
                .isEqualTo("a");
        assertThat(route(table, request(HttpMethod.GET, "/", "Host", "shop.example.org."))).isEqualTo("b");
        assertThat(route(table, request(HttpMethod.GET, "/", "Host", "api.example.com.."))).isNull();
        assertThat(route(table, request(HttpMethod.GET, "/"))).as("no Host header").isNull();
        assertThat(table.routes().get(1).name()).isEqualTo("route-1");
    }

    @Test
    void matchesExactPathAndMethods() {
        RouteTable table = RouteTable.compile(List.of(
                new RouteConfig(null, match(null, "/login", null, null, Set.of("POST", "PUT"), Map.of(), Map.of()), "a")),
                upstreams);

        assertThat(route(table, request(HttpMethod.POST, "/login?next=/home"))).isEqualTo("a");
        assertThat(route(table, request(HttpMethod.PUT, "/login"))).isEqualTo("a");
        assertThat(route(table, request(HttpMethod.GET, "/login"))).isNull();
        assertThat(route(table, request(HttpMethod.POST, "/login/"))).isNull();
    }

    @Test
    void regexMustMatchTheWholePath() {
        RouteTable table = RouteTable.compile(List.of(
                new RouteConfig(null, match(null, null, null, "/user/[0-9]+", Set.of(), Map.of(), Map.of()), "a")),
                upstreams);

        assertThat(route(table, request(HttpMethod.GET, "/user/42?x"))).isEqualTo("a");
        assertThat(route(table, request(HttpMethod.GET, "/user/42/edit"))).isNull();
    }

    @Test
    void headersMatchExactValuesWithCaseInsensitiveNamesAndQueryMatchesDecodedValues() {
        RouteTable table = RouteTable.compile(List.of(
                new RouteConfig(null, match(null, null, null, null, Set.of(), Map.of("X-Canary", "always"),
                        Map.of("v", "a b")), "a")), upstreams);

        assertThat(route(table, request(HttpMethod.GET, "/?v=a%20b", "x-canary", "always"))).isEqualTo("a");
        assertThat(route(table, request(HttpMethod.GET, "/?v=a%20b", "x-canary", "always, never"))).isNull();
        assertThat(route(table, request(HttpMethod.GET, "/?v=a%20b", "x-canary", "never", "x-canary", "always")))
                .as("two lines are one value, 'never, always'").isNull();
        assertThat(route(table, request(HttpMethod.GET, "/?v=a%20b", "x-canary", "always", "x-canary", "always")))
                .isNull();
        assertThat(route(table, request(HttpMethod.GET, "/?v=ab", "x-canary", "always"))).isNull();
        assertThat(route(table, request(HttpMethod.GET, "/", "x-canary", "always"))).isNull();
    }

    @Test
    void aHeaderValueWithNonAsciiTextMatchesItsUtf8BytesAsTheyComeOffTheWire() {
        RouteTable table = RouteTable.compile(List.of(
                new RouteConfig(null, match(null, null, null, null, Set.of(), Map.of("x-city", "Zürich"), Map.of()),
                        "a")), upstreams);
        String wire = new String("Zürich".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);

        assertThat(route(table, request(HttpMethod.GET, "/", "x-city", wire))).isEqualTo("a");
        assertThat(route(table, request(HttpMethod.GET, "/", "x-city", "Zurich"))).isNull();
    }

    @Test
    void queryMatchingSplitsOnAmpersandsOnlyAndReadsAParametersFirstValueAsBackendsDo() {
        RouteTable table = RouteTable.compile(List.of(
                new RouteConfig(null, match(null, null, null, null, Set.of(), Map.of(), Map.of("v", "2")), "a")),
                upstreams);

        assertThat(route(table, request(HttpMethod.GET, "/?x=1&v=2"))).isEqualTo("a");
        assertThat(route(table, request(HttpMethod.GET, "/?v=2&v=1"))).isEqualTo("a");
        assertThat(route(table, request(HttpMethod.GET, "/?x=1;v=2"))).as("';' is part of x's value").isNull();
        assertThat(route(table, request(HttpMethod.GET, "/?v=1&v=2"))).as("the backend reads v as 1").isNull();
        assertThat(route(table, request(HttpMethod.GET, "/?v=2&x=%zz"))).as("a malformed escape, not a throw").isNull();
        assertThat(route(table, request(HttpMethod.GET, "/?" + "p=1&".repeat(1100) + "v=2")))
                .as("after more than Netty's default of 1,024 parameters").isEqualTo("a");
    }

    @Test
    void emptyMatchMatchesEverything() {
        RouteTable table = RouteTable.compile(List.of(TestConfigs.routeAll("b")), upstreams);

        assertThat(route(table, request(HttpMethod.DELETE, "*"))).isEqualTo("b");
    }

    private static RouteConfig split(HashKey key, int weightA, int weightB) {
        return new RouteConfig("canary", TestConfigs.matchAll(), null,
                List.of(new RouteConfig.Split("a", weightA), new RouteConfig.Split("b", weightB)), key, null);
    }

    @Test
    void aSplitSendsEachSideItsShareOfRequestsByWeight() {
        RouteRule rule = RouteTable.compile(List.of(split(null, 9, 1)), upstreams).rules().getFirst();

        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 20_000; i++) {
            counts.merge(rule.choose(null).upstream().name(), 1, Integer::sum);
        }

        assertThat(counts.get("b") / 20_000.0).isCloseTo(0.10, within(0.015));
        assertThat(counts.get("a") + counts.get("b")).isEqualTo(20_000);
    }

    @Test
    void aSideOfWeightZeroGetsNothing() {
        RouteRule rule = RouteTable.compile(List.of(split(null, 1, 0)), upstreams).rules().getFirst();

        for (int i = 0; i < 2_000; i++) {
            assertThat(rule.choose(null).upstream().name()).isEqualTo("a");
            assertThat(rule.choose("user-" + i).upstream().name()).isEqualTo("a");
        }
    }

    @Test
    void aSplitKeyKeepsItsSideAndRaisingTheLastSidesWeightOnlyMovesKeysOntoIt() {
        HashKey key = HashKey.parse("header:X-User");
        RouteRule fivePercent = RouteTable.compile(List.of(split(key, 95, 5)), upstreams).rules().getFirst();
        RouteRule twentyPercent = RouteTable.compile(List.of(split(key, 80, 20)), upstreams).rules().getFirst();

        int onB = 0;
        int onBLater = 0;
        for (int i = 0; i < 10_000; i++) {
            String user = "user-" + i;
            String side = fivePercent.choose(user).upstream().name();
            assertThat(fivePercent.choose(user).upstream().name()).as("the same key, the same side").isEqualTo(side);
            String later = twentyPercent.choose(user).upstream().name();
            if (side.equals("b")) {
                onB++;
                assertThat(later).as(user + " was on the canary and stays there").isEqualTo("b");
            }
            if (later.equals("b")) {
                onBLater++;
            }
        }
        assertThat(onB / 10_000.0).isCloseTo(0.05, within(0.01));
        assertThat(onBLater / 10_000.0).isCloseTo(0.20, within(0.015));
    }

    private static RouteRule threeSides(int a, int b, int c) {
        return RouteTable.compile(List.of(new RouteConfig("three", TestConfigs.matchAll(), null,
                List.of(new RouteConfig.Split("a", a), new RouteConfig.Split("b", b), new RouteConfig.Split("c", c)),
                HashKey.parse("header:X-User"), null)), upstreams).rules().getFirst();
    }

    @Test
    void withThreeSidesAKeyedSplitKeepsTheSharesAndRaisingTheLastSideOnlyMovesKeysOntoIt() {
        RouteRule before = threeSides(50, 40, 10);
        RouteRule after = threeSides(50, 40, 20);

        Map<String, Integer> shares = new HashMap<>();
        for (int i = 0; i < 20_000; i++) {
            String user = "user-" + i;
            String side = before.choose(user).upstream().name();
            shares.merge(side, 1, Integer::sum);
            String later = after.choose(user).upstream().name();
            if (!later.equals(side)) {
                assertThat(later).as(user + " moved from " + side).isEqualTo("c");
            }
        }
        assertThat(shares.get("a") / 20_000.0).isCloseTo(0.50, within(0.015));
        assertThat(shares.get("b") / 20_000.0).isCloseTo(0.40, within(0.015));
        assertThat(shares.get("c") / 20_000.0).isCloseTo(0.10, within(0.01));
    }

    @Test
    void listsEverySideOfASplitAsARouteOfTheSameName() {
        RouteTable table = RouteTable.compile(List.of(split(null, 3, 1), TestConfigs.routeAll("a")), upstreams);

        assertThat(table.routes()).extracting(Route::name).containsExactly("canary", "canary", "route-1");
        assertThat(table.routes()).extracting(route -> route.upstream().name()).containsExactly("a", "b", "a");
        RouteRule rule = table.rules().getFirst();
        assertThat(rule.splits()).isTrue();
        assertThat(rule.weight(0)).isEqualTo(3);
        assertThat(rule.weight(1)).isEqualTo(1);
        assertThat(table.rules().get(1).splits()).isFalse();
    }

    @Test
    void rejectsRouteToUnknownUpstream() {
        assertThatThrownBy(() -> RouteTable.compile(List.of(TestConfigs.routeAll("nope")), upstreams))
                .hasMessageContaining("routes[0].upstream: 'nope'");
    }
}
