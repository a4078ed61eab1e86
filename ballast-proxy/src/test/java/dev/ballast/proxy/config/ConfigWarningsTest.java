package dev.ballast.proxy.config;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ConfigWarningsTest {

    @Test
    void warnsThatAHashKeyIsIgnoredByANonHashBalancer() {
        ConfigResult result = parse("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api:
                    balancer: least-request
                    hash_key: header:X-User-Id
                    bounded_load: 1.25
                    endpoints: [127.0.0.1:9001]
                routes: [{ upstream: api }]
                """);

        assertThat(result.ok()).isTrue();
        assertThat(warnings(result)).containsExactly(
                "upstreams.api.hash_key: ignored by balancer 'least-request' (only ring-hash and maglev use a hash"
                        + " key) (line 5)",
                "upstreams.api.bounded_load: ignored by balancer 'least-request' (only ring-hash and maglev bound"
                        + " loads) (line 6)");
    }

    @Test
    void warnsThatADiscoveryPrefixWithoutATrailingSlashAlsoTakesTheKeysOfNamesThatStartTheSame() {
        ConfigResult result = parse("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                etcd: { endpoints: ["http://127.0.0.1:2379"] }
                upstreams:
                  api:
                    discovery: { etcd: { prefix: /services/api } }
                  web:
                    discovery: { etcd: { prefix: /services/web/ } }
                routes:
                  - { match: { path_prefix: /web/ }, upstream: web }
                  - upstream: api
                """);

        assertThat(result.errors()).isEmpty();
        assertThat(warnings(result)).containsExactly("upstreams.api.discovery.etcd.prefix: '/services/api' has no"
                + " trailing '/', so it also takes the keys of every name that starts with it (/services/api-admin/...,"
                + " say); end it with '/' to follow one directory (line 5)");
    }

    @Test
    void warnsThatConnectInMethodsNeverMatches() {
        ConfigResult result = parse("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api:
                    endpoints: [127.0.0.1:9001]
                routes:
                  - match: { methods: [GET, connect] }
                    upstream: api
                """);

        assertThat(result.ok()).isTrue();
        assertThat(warnings(result)).containsExactly(
                "routes[0].match.methods[1]: CONNECT never matches: Ballast is a reverse proxy and answers every"
                        + " CONNECT request itself with 501 Not Implemented (line 6)");
    }

    @Test
    void warnsThatResolvingAllWithoutRefreshReadsTheAddressesOnceAndThatTheDnsNameLabelIsReplaced() {
        ConfigResult result = parse("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api:
                    endpoints:
                      - { address: api.svc:8080, resolve: all, metadata: { dns_name: mine } }
                    dns_refresh: 0
                routes: [{ upstream: api }]
                """);

        assertThat(result.ok()).isTrue();
        assertThat(warnings(result)).containsExactly(
                "upstreams.api.endpoints[0].metadata: label 'dns_name' is replaced by the host name on each address"
                        + " that resolve: all makes an endpoint (line 5)",
                "upstreams.api.dns_refresh: 0 with resolve: all: the addresses of api.svc:8080 are looked up only"
                        + " at start and at reloads, so instances that come and go are not followed (line 6)");
    }

    @Test
    void warnsThatSlowStartIsIgnoredByABalancerThatIgnoresWeights() {
        ConfigResult roundRobin = parse("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api:
                    slow_start: 30s
                    endpoints: [127.0.0.1:9001]
                routes: [{ upstream: api }]
                """);
        assertThat(roundRobin.ok()).isTrue();
        assertThat(warnings(roundRobin)).containsExactly("upstreams.api.slow_start: ignored by balancer 'round-robin'"
                + " (only those that use weights ramp up: weighted-round-robin, weighted-random, least-connections,"
                + " least-request, peak-ewma, ring-hash, maglev) (line 4)");

        for (String balancer : List.of("random", "first")) {
            assertThat(warnings(parse("""
                    listeners: [{ name: public, address: 0.0.0.0:8080 }]
                    upstreams:
                      api: { balancer: %s, slow_start: 30s, endpoints: [127.0.0.1:9001] }
                    routes: [{ upstream: api }]
                    """.formatted(balancer)))).singleElement().asString()
                    .startsWith("upstreams.api.slow_start: ignored by balancer '" + balancer + "'");
        }
        for (String quiet : List.of("{ balancer: least-request, slow_start: 30s", "{ slow_start: 0",
                "{ balancer: roundrobin, slow_start: 30s")) {
            ConfigResult result = parse("""
                    listeners: [{ name: public, address: 0.0.0.0:8080 }]
                    upstreams:
                      api: %s, endpoints: [127.0.0.1:9001] }
                    routes: [{ upstream: api }]
                    """.formatted(quiet));
            assertThat(warnings(result)).as(quiet).isEmpty();
        }
    }

    @Test
    void doesNotWarnAboutAHashKeyWhenTheBalancerIsMisspelt() {
        ConfigResult result = parse("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api:
                    balancer: ringhash
                    hash_key: client-ip
                    endpoints: [127.0.0.1:9001]
                routes: [{ upstream: api }]
                """);

        assertThat(result.errors()).extracting(ConfigProblem::format).singleElement().asString()
                .startsWith("upstreams.api.balancer: unknown balancer 'ringhash'; did you mean 'ring-hash'?");
        assertThat(result.warnings()).isEmpty();
    }

    @Test
    void acceptsAHashBalancerWithoutAHashKeySilently() {
        ConfigResult result = parse("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api:
                    balancer: ring-hash
                    endpoints: [127.0.0.1:9001, 127.0.0.1:9002]
                routes: [{ upstream: api }]
                """);

        assertThat(result.errors()).isEmpty();
        assertThat(result.warnings()).isEmpty();
        assertThat(result.config().upstreams().get("api").hashKey()).isNull();
    }

    @Test
    void warnsAboutAnUpstreamWithoutEndpointsButAcceptsIt() {
        ConfigResult result = parse("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api:
                    endpoints: []
                  later:
                    balancer: random
                routes:
                  - { match: { path_prefix: /later/ }, upstream: later }
                  - { upstream: api }
                """);

        assertThat(result.ok()).isTrue();
        assertThat(warnings(result)).containsExactly(
                "upstreams.api.endpoints: no endpoints: every request routed here gets 503 until endpoints are added"
                        + " (line 4)",
                "upstreams.later: no endpoints: every request routed here gets 503 until endpoints are added"
                        + " (line 5)");
        assertThat(result.config().upstreams().get("api").endpoints()).isEmpty();
    }

    @Test
    void warnsAboutAnUpstreamNoRouteUses() {
        ConfigResult result = parse("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api:
                    endpoints: [127.0.0.1:9001]
                  old-api:
                    endpoints: [127.0.0.1:9002]
                routes: [{ upstream: api }]
                """);

        assertThat(result.ok()).isTrue();
        assertThat(warnings(result)).containsExactly("upstreams.old-api: not used by any route (line 5)");
    }

    @Test
    void countsSplitAndMirrorUpstreamsAsUsedAndWarnsOfAnIgnoredSplitKeyAndAMirrorThatCopiesNothing() {
        ConfigResult result = parse("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  v1: { endpoints: [127.0.0.1:9001] }
                  v2: { endpoints: [127.0.0.1:9002] }
                  shadow: { endpoints: [127.0.0.1:9003] }
                routes:
                  - match: { path_prefix: /a/ }
                    split: [{ upstream: v1, weight: 95 }, { upstream: v2, weight: 5 }]
                    split_key: cookie:session
                    mirror: { upstream: shadow, sample: 10% }
                  - match: { path_prefix: /b/ }
                    upstream: v1
                    split_key: header:X-User
                    mirror: { upstream: shadow, sample: 0 }
                  - match: { path_prefix: /c/ }
                    split: [{ upstream: v2, weight: 3 }]
                    split_key: header:X-User
                """);

        assertThat(result.ok()).isTrue();
        assertThat(warnings(result)).containsExactly(
                "routes[1].split_key: ignored: the route sends to one upstream (no 'split') (line 13)",
                "routes[1].mirror.sample: 0: no request is copied (line 14)",
                "routes[2].split_key: ignored: the route sends to one upstream (a split of one side) (line 17)");
        RouteConfig first = result.config().routes().getFirst();
        assertThat(first.split()).containsExactly(new RouteConfig.Split("v1", 95), new RouteConfig.Split("v2", 5));
        assertThat(first.splitKey()).isEqualTo(HashKey.parse("cookie:session"));
        assertThat(first.mirror()).isEqualTo(new MirrorConfig("shadow", 0.1));
    }

    @Test
    void warnsOfAMirrorUpstreamListingAnEndpointThatServesTheRoute() {
        ConfigResult result = parse("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  v1: { endpoints: [127.0.0.1:9001, 127.0.0.1:9002] }
                  copies: { endpoints: [127.0.0.1:9003, 127.0.0.1:9002] }
                routes:
                  - upstream: v1
                    mirror: { upstream: copies }
                """);

        assertThat(result.ok()).isTrue();
        assertThat(warnings(result)).containsExactly("routes[0].mirror: copies go to 127.0.0.1:9002, which also"
                + " serves this route (in upstream 'v1'): it would get each copied request twice (line 6)");
    }

    @Test
    void warnsOfAMirrorEndpointThatServesTheRouteWhateverTheCaseOfItsHostName() {
        ConfigResult result = parse("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  v1: { endpoints: [API.internal:9002] }
                  copies: { endpoints: [api.internal:9002] }
                routes:
                  - upstream: v1
                    mirror: { upstream: copies }
                """);

        assertThat(warnings(result)).containsExactly("routes[0].mirror: copies go to api.internal:9002, which also"
                + " serves this route (in upstream 'v1'): it would get each copied request twice (line 6)");
    }

    @Test
    void aRouteThatMayTakeOptionsAsteriskIsNotShadowedByThePrefixSlash() {
        ConfigResult result = parse("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api: { endpoints: [127.0.0.1:9001] }
                routes:
                  - { name: site, match: { path_prefix: / }, upstream: api }
                  - { name: options, match: { methods: [OPTIONS] }, upstream: api }
                  - { name: rest, upstream: api }
                  - { name: gets, match: { methods: [GET] }, upstream: api }
                """);

        assertThat(warnings(result)).as("OPTIONS * has the path '*', which '/' does not prefix").containsExactly(
                "routes[3]: route 'gets' never matches: route 'site' (routes[0], line 5) comes first and matches"
                        + " every request it would (line 8)");
    }

    @Test
    void warnsAboutARouteShadowedByAnEarlierCatchAll() {
        ConfigResult result = parse("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api:
                    endpoints: [127.0.0.1:9001]
                routes:
                  - name: everything
                    match: { path_prefix: / }
                    upstream: api
                  - name: login
                    match: { path: /login, methods: [POST] }
                    upstream: api
                """);

        assertThat(result.ok()).isTrue();
        assertThat(warnings(result)).containsExactly("routes[1]: route 'login' never matches: route 'everything'"
                + " (routes[0], line 6) comes first and matches every request it would (line 9)");
    }

    @Test
    void warnsAboutANarrowerPrefixAfterABroaderOneWithFewerConditions() {
        ConfigResult result = parse("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api:
                    endpoints: [127.0.0.1:9001]
                  v1:
                    endpoints: [127.0.0.1:9002]
                routes:
                  - { name: api, match: { host: api.example.com, path_prefix: /api/ }, upstream: api }
                  - { name: v1-elsewhere, match: { path_prefix: /api/v1/ }, upstream: v1 }
                  - { name: v1, match: { host: api.example.com, path_prefix: /api/v1/, methods: [GET] }, upstream: v1 }
                """);

        // The route without a host condition also takes requests for other hosts: not shadowed.
        assertThat(warnings(result)).containsExactly("routes[2]: route 'v1' never matches: route 'api'"
                + " (routes[0], line 8) comes first and matches every request it would (line 10)");
    }

    @Test
    void warnsNotWhenTheMoreSpecificRouteComesFirst() {
        ConfigResult result = parse("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api:
                    endpoints: [127.0.0.1:9001]
                routes:
                  - { match: { path_prefix: /api/v1/ }, upstream: api }
                  - { match: { path_prefix: /api/ }, upstream: api }
                  - { upstream: api }
                """);

        assertThat(result.warnings()).isEmpty();
    }

    @Test
    void warnsOfAQueryHashKeyOrSplitKeyNameWrittenEncodedWhichNoRequestSendingItSoMatches() {
        // Before 10a78f3 a name was a token compared as sent, so query:page%5Bid%5D was how to name page[id];
        // names are compared decoded now, and that config would load and quietly match nothing.
        ConfigResult result = parse("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  v1:
                    balancer: ring-hash
                    hash_key: query:page%5Bid%5D
                    endpoints: [127.0.0.1:9001]
                  v2:
                    balancer: maglev
                    hash_key: query:user%2Bid
                    endpoints: [127.0.0.1:9002]
                routes:
                  - match: { path_prefix: / }
                    split: [{ upstream: v1, weight: 95 }, { upstream: v2, weight: 5 }]
                    split_key: "query:filter%5buser%5d"
                """);

        assertThat(result.ok()).as("a warning, not an error").isTrue();
        assertThat(warnings(result)).containsExactly(
                "upstreams.v1.hash_key: query names are written decoded, as the backend reads them:"
                        + " 'page%5Bid%5D' matches a parameter sent as page%255Bid%255D, while ?page%5Bid%5D= is"
                        + " page[id] and gives no key; did you mean query:page[id]? (line 5)",
                "upstreams.v2.hash_key: query names are written decoded, as the backend reads them:"
                        + " 'user%2Bid' matches a parameter sent as user%252Bid, while ?user%2Bid= is user+id and"
                        + " gives no key; did you mean query:user+id? (line 9)",
                "routes[0].split_key: query names are written decoded, as the backend reads them:"
                        + " 'filter%5buser%5d' matches a parameter sent as filter%255buser%255d, while"
                        + " ?filter%5buser%5d= is filter[user] and gives no key; did you mean query:filter[user]?"
                        + " (line 14)");
        // Loaded as written: a warning changes nothing.
        assertThat(result.config().upstreams().get("v1").hashKey())
                .isEqualTo(new HashKey(HashKey.Source.QUERY, "page%5Bid%5D"));
    }

    @Test
    void aQueryNameWithNothingToDecodeOrAMalformedEscapeIsNoWarning() {
        // A request sending a name with a malformed escape has it compared as sent: 100% finds ?100%=1.
        // A '+' is a plus sign, as the backend reads it: query:user+id finds ?user%2Bid=, how a request sends
        // it, and ?user+id= is query:user id. So what the warning above suggests is no warning itself.
        for (String name : List.of("page[id]", "user id", "100%", "a%zz", "a%5", "a+b%zz", "user+id", "+", "c++")) {
            ConfigResult result = parse("""
                    listeners: [{ name: public, address: 0.0.0.0:8080 }]
                    upstreams:
                      api: { balancer: ring-hash, hash_key: "query:%s", endpoints: [127.0.0.1:9001] }
                    routes: [{ upstream: api }]
                    """.formatted(name));
            assertThat(result.errors()).as(name).isEmpty();
            assertThat(warnings(result)).as(name).isEmpty();
        }
    }

    @Test
    void aQueryNameStillEncodedOnceDecodedIsWarnedOfWithoutASuggestionThatWouldWarnAgain() {
        ConfigResult result = parse("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api: { balancer: maglev, hash_key: "query:%2525", endpoints: [127.0.0.1:9001] }
                  web: { balancer: maglev, hash_key: "query:%2B", endpoints: [127.0.0.1:9002] }
                routes: [{ split: [{ upstream: api, weight: 50 }, { upstream: web, weight: 50 }] }]
                """);

        assertThat(warnings(result)).containsExactly(
                "upstreams.api.hash_key: query names are written decoded, as the backend reads them: '%2525'"
                        + " matches a parameter sent as %252525, while ?%2525= is %25 and gives no key (line 3)",
                "upstreams.web.hash_key: query names are written decoded, as the backend reads them: '%2B'"
                        + " matches a parameter sent as %252B, while ?%2B= is + and gives no key; did you mean"
                        + " query:+? (line 4)");
    }

    @Test
    void anIgnoredQueryKeyIsWarnedOfOnceAsIgnored() {
        ConfigResult result = parse("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                upstreams:
                  api: { balancer: round-robin, hash_key: "query:page%5Bid%5D", endpoints: [127.0.0.1:9001] }
                routes:
                  - upstream: api
                    split_key: "query:a+b"
                """);

        assertThat(warnings(result)).containsExactly(
                "upstreams.api.hash_key: ignored by balancer 'round-robin' (only ring-hash and maglev use a hash"
                        + " key) (line 3)",
                "routes[0].split_key: ignored: the route sends to one upstream (no 'split') (line 6)");
    }

    private static ConfigResult parse(String yaml) {
        return ConfigLoader.parse(yaml, "test.yaml", name -> null);
    }

    @Test
    void anUpstreamWithDiscoveryNeedsNoEndpointsAndAClusterNoUpstreamReadsIsWarnedAbout() {
        ConfigResult result = parse("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                etcd: { endpoints: ["http://10.0.0.1:2379", "https://etcd-2.internal:2379/"], timeout: 2s }
                upstreams:
                  api:
                    discovery: { etcd: { prefix: /services/api/ } }
                routes:
                  - upstream: api
                """);
        assertThat(result.ok()).isTrue();
        assertThat(warnings(result)).isEmpty();
        assertThat(result.config().upstreams().get("api").discovery()).isEqualTo(new EtcdDiscoveryConfig(
                List.of(URI.create("http://10.0.0.1:2379"), URI.create("https://etcd-2.internal:2379")), 2_000,
                "/services/api/", null, null));

        ConfigResult unread = parse("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                etcd: { endpoints: ["http://10.0.0.1:2379"] }
                upstreams:
                  api: { endpoints: [127.0.0.1:9001] }
                routes:
                  - upstream: api
                """);
        assertThat(warnings(unread)).containsExactly(
                "etcd: no upstream has 'discovery: { etcd: ... }', so the cluster is not read (line 2)");

        ConfigResult misspelt = parse("""
                listeners: [{ name: public, address: 0.0.0.0:8080 }]
                etcd: { endpoints: ["http://10.0.0.1:2379"] }
                upstreams:
                  api: { discovery: { etcd: { prefx: /services/api/ } } }
                routes:
                  - upstream: api
                """);
        assertThat(misspelt.errors()).extracting(ConfigProblem::format)
                .containsExactly("upstreams.api.discovery.etcd.prefx: unknown key; did you mean 'prefix'? (line 4)");
        assertThat(warnings(misspelt)).as("not a second, misleading message").isEmpty();
    }

    private static List<String> warnings(ConfigResult result) {
        return result.warnings().stream().map(ConfigProblem::format).toList();
    }
}
