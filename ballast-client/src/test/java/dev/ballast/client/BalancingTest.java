package dev.ballast.client;

import dev.ballast.client.testing.Backend;
import dev.ballast.core.pick.Policies;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import static dev.ballast.client.ClientRequest.request;
import static org.assertj.core.api.Assertions.assertThat;

/** Every core balancer, through the client, over three live endpoints. */
class BalancingTest {

    private static final int CALLS = 90;

    private final List<Backend> backends = List.of(Backend.start("a"), Backend.start("b"), Backend.start("c"));
    private BallastClient client;

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        backends.forEach(Backend::close);
    }

    static List<String> balancers() {
        return Policies.ids();
    }

    static List<String> hashBalancers() {
        return Policies.ids().stream().filter(Policies::isHashBased).toList();
    }

    private BallastClient client(String balancer) {
        ServiceConfig.Builder service = ServiceConfig.builder("orders")
                .endpoints(backends.stream().map(Backend::address).toArray(String[]::new))
                .balancer(balancer);
        if (Policies.isHashBased(balancer)) {
            service.hashKey("header:x-user");
        }
        client = BallastClient.builder().service(service.build()).build();
        return client;
    }

    /** Sends {@code CALLS} calls, six at a time, and counts the answers by backend. */
    private Map<String, Long> spread(Function<Integer, ClientRequest> requests) {
        List<String> answers = new ArrayList<>();
        for (int batch = 0; batch < CALLS; batch += 6) {
            List<CompletableFuture<ClientResponse>> inFlight = new ArrayList<>();
            for (int i = batch; i < batch + 6; i++) {
                inFlight.add(client.sendAsync(requests.apply(i)));
            }
            inFlight.forEach(future -> answers.add(future.orTimeout(10, TimeUnit.SECONDS).join().bodyText()));
        }
        return answers.stream().collect(Collectors.groupingBy(Function.identity(), TreeMap::new, Collectors.counting()));
    }

    @ParameterizedTest
    @MethodSource("balancers")
    void spreadsCallsOverLiveEndpointsAsTheBalancerPromises(String balancer) {
        client(balancer);

        Map<String, Long> counts = spread(i -> request("orders").path("/spread").header("x-user", "user-" + i));

        assertThat(counts.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(CALLS);
        switch (balancer) {
            case Policies.FIRST -> assertThat(counts).containsExactly(Map.entry("a", (long) CALLS));
            case Policies.ROUND_ROBIN, Policies.WEIGHTED_ROUND_ROBIN ->
                    assertThat(counts).containsOnly(Map.entry("a", 30L), Map.entry("b", 30L), Map.entry("c", 30L));
            // Random choices: 90 draws put at least 10 on each of three endpoints, failing about once in 10^5 runs.
            default -> assertThat(counts).containsOnlyKeys("a", "b", "c")
                    .allSatisfy((backend, count) -> assertThat(count).as(backend).isGreaterThanOrEqualTo(
                            Policies.PEAK_EWMA.equals(balancer) ? 1 : 10));
        }
    }

    @ParameterizedTest
    @MethodSource("hashBalancers")
    void hashBalancersKeepOneKeyOnOneEndpoint(String balancer) {
        client(balancer);

        Map<String, Long> counts = spread(i -> request("orders").path("/sticky").header("x-user", "user-42"));

        assertThat(counts).hasSize(1);
    }

    @ParameterizedTest
    @MethodSource("hashBalancers")
    void aQueryKeyIsOneKeyHoweverTheRequestEncodesIt(String balancer) {
        // As the proxy reads query:page[id] (10a78f3): the name is compared decoded, the value is decoded.
        client = BallastClient.builder().service(ServiceConfig.builder("orders")
                .endpoints(backends.stream().map(Backend::address).toArray(String[]::new))
                .balancer(balancer).hashKey("query:page[id]").build()).build();
        Set<String> reached = new TreeSet<>();

        for (int page = 0; page < 30; page++) {
            String plain = client.send(request("orders").path("/list?page[id]=" + page)).bodyText();
            String encodedName = client.send(request("orders").path("/list?sort=asc&page%5Bid%5D=" + page)).bodyText();
            String encodedValue = client.send(request("orders").path("/list?page[id]=" + percentEncoded(page)))
                    .bodyText();

            assertThat(List.of(encodedName, encodedValue)).as("page %d, first at %s", page, plain)
                    .containsOnly(plain);
            reached.add(plain);
        }
        // The keys were read, not missed (a missing key is a random pick): thirty keys spread, all landing
        // on one of three endpoints about once in 10^14 runs (the ring depends on the backends' ports).
        assertThat(reached).hasSizeGreaterThan(1);
    }

    @ParameterizedTest
    @MethodSource("hashBalancers")
    void anEmptyKeyIsNoKeySoItsCallsSpreadAsInTheProxyWhileAKeySticks(String balancer) {
        // As the proxy's hash_key: an empty value (a logged-out client's session=, an empty header, ?user=)
        // is no key, a random pick; hashing "" would send every such call to one endpoint.
        String[] endpoints = backends.stream().map(Backend::address).toArray(String[]::new);
        client = BallastClient.builder()
                .service(ServiceConfig.builder("by-header").endpoints(endpoints).balancer(balancer)
                        .hashKey("header:x-user").build())
                .service(ServiceConfig.builder("by-cookie").endpoints(endpoints).balancer(balancer)
                        .hashKey("cookie:session").build())
                .service(ServiceConfig.builder("by-query").endpoints(endpoints).balancer(balancer)
                        .hashKey("query:user").build())
                .build();

        Map<String, Map<String, Long>> empty = new TreeMap<>();
        empty.put("header ''", spread(i -> request("by-header").path("/e").header("x-user", "")));
        empty.put("header ' '", spread(i -> request("by-header").path("/e").header("x-user", " ")));
        empty.put("session=", spread(i -> request("by-cookie").path("/e").header("cookie", "a=1; session=")));
        empty.put("session=\"\"", spread(i -> request("by-cookie").path("/e").header("cookie", "session=\"\"")));
        empty.put("?user=", spread(i -> request("by-query").path("/e?user=&x=" + i)));
        empty.put("hashKey('')", spread(i -> request("by-header").path("/e").header("x-user", "u-1").hashKey("")));
        // Random picks: all 90 of them on one of three endpoints about once in 10^42 runs.
        assertThat(empty).allSatisfy((how, counts) -> assertThat(counts).as(how).hasSizeGreaterThan(1));

        Map<String, Map<String, Long>> keyed = new TreeMap<>();
        keyed.put("header", spread(i -> request("by-header").path("/k").header("x-user", "user-42")));
        keyed.put("cookie", spread(i -> request("by-cookie").path("/k").header("cookie", "a=" + i + "; session=s-42")));
        keyed.put("query", spread(i -> request("by-query").path("/k?x=" + i + "&user=user-42")));
        assertThat(keyed).allSatisfy((how, counts) -> assertThat(counts).as(how).hasSize(1));
    }

    @ParameterizedTest
    @MethodSource("hashBalancers")
    void aQuotedCookieIsOneKeyWithItsBareValueAsInTheProxy(String balancer) {
        client = BallastClient.builder().service(ServiceConfig.builder("orders")
                .endpoints(backends.stream().map(Backend::address).toArray(String[]::new))
                .balancer(balancer).hashKey("cookie:id").build()).build();
        Set<String> reached = new TreeSet<>();

        for (int id = 0; id < 30; id++) {
            String bare = client.send(request("orders").path("/c").header("cookie", "id=" + id)).bodyText();
            String quoted = client.send(request("orders").path("/c").header("cookie", "idx=0; id=\"" + id + "\""))
                    .bodyText();

            assertThat(quoted).as("id %d, bare at %s", id, bare).isEqualTo(bare);
            reached.add(bare);
        }
        assertThat(reached).hasSizeGreaterThan(1); // keys were read: a missing one would be a random pick
    }

    /** Every character of {@code value} as a {@code %XX} escape: {@code 12} is {@code %31%32}. */
    private static String percentEncoded(int value) {
        StringBuilder escaped = new StringBuilder();
        for (char c : Integer.toString(value).toCharArray()) {
            escaped.append('%').append(Integer.toHexString(c).toUpperCase(Locale.ROOT));
        }
        return escaped.toString();
    }

    @Test
    void weightedRoundRobinFollowsWeights() {
        client = BallastClient.builder().service(ServiceConfig.builder("orders")
                .endpoints(List.of(
                        dev.ballast.core.endpoint.Endpoint.parse(backends.get(0).address()).withWeight(3),
                        dev.ballast.core.endpoint.Endpoint.parse(backends.get(1).address()).withWeight(2),
                        dev.ballast.core.endpoint.Endpoint.parse(backends.get(2).address())))
                .balancer(Policies.WEIGHTED_ROUND_ROBIN).build()).build();

        Map<String, Long> counts = spread(i -> request("orders"));

        assertThat(counts).containsOnly(Map.entry("a", 45L), Map.entry("b", 30L), Map.entry("c", 15L));
    }

    @Test
    void peakEwmaStopsPickingAnEndpointAsSoonAsATryOnItTimesOut() {
        backends.get(0).delay(Duration.ofSeconds(5)); // "a" stops answering in time
        client = BallastClient.builder().service(ServiceConfig.builder("orders")
                .endpoints(backends.stream().map(Backend::address).toArray(String[]::new))
                .balancer(Policies.PEAK_EWMA).responseTimeout(Duration.ofMillis(300)).build()).build();
        int sent = 0;
        boolean timedOut = false;
        while (!timedOut && sent++ < 50) {
            try {
                client.send(request("orders"));
            } catch (CallException e) {
                assertThat(e.kind()).isEqualTo(CallException.Kind.TIMEOUT);
                timedOut = true;
            }
        }
        assertThat(timedOut).as("a call met the slow endpoint").isTrue();

        // What the try waited is a lower bound of "a"'s latency, far above the others': it loses every pair.
        for (int i = 0; i < 10; i++) {
            assertThat(client.send(request("orders")).bodyText()).isNotEqualTo("a");
        }
    }
}
