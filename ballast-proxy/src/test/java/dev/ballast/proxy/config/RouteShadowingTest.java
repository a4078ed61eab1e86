package dev.ballast.proxy.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class RouteShadowingTest {

    private static final MatchConfig ANY = new MatchConfig(null, null, null, null, Set.of(), Map.of(), Map.of());

    static Stream<Arguments> cases() {
        return Stream.of(
                arguments("an empty match covers everything", ANY, host(prefix("/api/"), "a.example.com"), true),
                arguments("prefix / covers a route without path", prefix("/"), methods(ANY, "GET"), true),
                arguments("a prefix covers a longer prefix", prefix("/api/"), prefix("/api/v1/"), true),
                arguments("a prefix covers an exact path under it", prefix("/api/"), path("/api/users"), true),
                arguments("a longer prefix does not cover a shorter one", prefix("/api/v1/"), prefix("/api/"), false),
                arguments("a prefix does not cover a route without path", prefix("/api/"), ANY, false),
                arguments("an exact path covers the same path", path("/login"), methods(path("/login"), "POST"),
                        true),
                arguments("an exact path does not cover a prefix", path("/login"), prefix("/login"), false),
                arguments("a regex covers an exact path it matches", regex("^/user/[0-9]+$"), path("/user/42"), true),
                arguments("a regex does not cover a path it rejects", regex("^/user/[0-9]+$"), path("/user/me"),
                        false),
                arguments("a regex covers the same regex", regex("/a.*"), methods(regex("/a.*"), "GET"), true),
                arguments("a regex is not compared with a prefix", regex("/api/.*"), prefix("/api/"), false),
                arguments("a host condition does not cover any host", host(prefix("/"), "a.example.com"), ANY,
                        false),
                arguments("a host covers the same host", host(ANY, "a.example.com"),
                        host(path("/x"), "a.example.com"), true),
                arguments("a wildcard covers one label more", host(ANY, "*.example.com"),
                        host(ANY, "a.example.com"), true),
                arguments("a wildcard is not assumed to cover two labels", host(ANY, "*.example.com"),
                        host(ANY, "a.b.example.com"), false),
                arguments("more methods cover fewer", methods(ANY, "GET", "POST"), methods(ANY, "GET"), true),
                arguments("some methods do not cover all", methods(ANY, "GET"), ANY, false),
                arguments("some methods do not cover others", methods(ANY, "GET"), methods(ANY, "GET", "PUT"),
                        false),
                arguments("fewer headers cover more", headers(ANY, Map.of("x-a", "1")),
                        headers(ANY, Map.of("x-a", "1", "x-b", "2")), true),
                arguments("a header value must be equal", headers(ANY, Map.of("x-a", "1")),
                        headers(ANY, Map.of("x-a", "2")), false),
                arguments("a query condition does not cover none", query(ANY, Map.of("v", "2")), ANY, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void coversOnlyWhenEveryRequestOfTheLaterRouteMatchesTheEarlierOne(String description, MatchConfig earlier,
                                                                       MatchConfig later, boolean covers) {
        assertThat(RouteShadowing.covers(earlier, later)).isEqualTo(covers);
    }

    @Test
    void aRegexThatBacktracksWithoutEndIsTakenAsNotCoveringInsteadOfHoldingTheCheck() {
        MatchConfig backtracking = regex("^/(.*a){20}$");
        MatchConfig later = path("/" + "a".repeat(50) + "b");

        boolean covers = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> RouteShadowing.covers(backtracking, later));

        assertThat(covers).isFalse();
        assertThat(RouteShadowing.covers(regex("^/user/[0-9]+$"), path("/user/" + "1".repeat(5_000))))
                .as("a long path a sane pattern matches").isTrue();
    }

    @Test
    void filingRoutesByHostAndPathFindsWhatComparingEveryPairFinds() {
        List<String> hosts = Arrays.asList(null, null, "a.example.com", "b.example.com", "*.example.com");
        List<String> paths = List.of("/a", "/a/b", "/ab", "/b", "/a/b/c");
        SplittableRandom random = new SplittableRandom(7);
        int shadowed = 0;
        for (int trial = 0; trial < 300; trial++) {
            List<MatchConfig> routes = new ArrayList<>();
            for (int i = 0; i < 25; i++) {
                MatchConfig match = switch (random.nextInt(5)) {
                    case 0 -> path(paths.get(random.nextInt(paths.size())));
                    case 1 -> prefix(paths.get(random.nextInt(paths.size())) + (random.nextBoolean() ? "/" : ""));
                    case 2 -> prefix("/");
                    case 3 -> regex("^" + paths.get(random.nextInt(paths.size())) + "$");
                    default -> ANY;
                };
                match = host(match, hosts.get(random.nextInt(hosts.size())));
                if (random.nextInt(4) == 0) {
                    match = methods(match, random.nextBoolean() ? "GET" : "POST");
                }
                routes.add(match);
            }
            int[] indexed = RouteShadowing.firstCovering(routes);
            for (int later = 0; later < routes.size(); later++) {
                int expected = -1;
                for (int earlier = 0; earlier < later && expected < 0; earlier++) {
                    if (RouteShadowing.covers(routes.get(earlier), routes.get(later))) {
                        expected = earlier;
                    }
                }
                assertThat(indexed[later]).as("trial %d, route %d of %s", trial, later, routes).isEqualTo(expected);
                shadowed += expected >= 0 ? 1 : 0;
            }
        }
        assertThat(shadowed).as("the trials shadow some routes and not others").isBetween(1000, 6000);
    }

    private static MatchConfig host(MatchConfig m, String host) {
        return new MatchConfig(host, m.path(), m.pathPrefix(), m.pathRegex(), m.methods(), m.headers(), m.query());
    }

    private static MatchConfig methods(MatchConfig m, String... methods) {
        return new MatchConfig(m.host(), m.path(), m.pathPrefix(), m.pathRegex(), Set.of(methods), m.headers(),
                m.query());
    }

    private static MatchConfig headers(MatchConfig m, Map<String, String> headers) {
        return new MatchConfig(m.host(), m.path(), m.pathPrefix(), m.pathRegex(), m.methods(), headers, m.query());
    }

    private static MatchConfig query(MatchConfig m, Map<String, String> query) {
        return new MatchConfig(m.host(), m.path(), m.pathPrefix(), m.pathRegex(), m.methods(), m.headers(), query);
    }

    private static MatchConfig prefix(String prefix) {
        return new MatchConfig(null, null, prefix, null, Set.of(), Map.of(), Map.of());
    }

    private static MatchConfig path(String path) {
        return new MatchConfig(null, path, null, null, Set.of(), Map.of(), Map.of());
    }

    private static MatchConfig regex(String regex) {
        return new MatchConfig(null, null, null, Pattern.compile(regex), Set.of(), Map.of(), Map.of());
    }
}
