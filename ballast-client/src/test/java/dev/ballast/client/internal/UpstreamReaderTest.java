package dev.ballast.client.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.ballast.client.ServiceConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link UpstreamReader}'s warnings, which {@code ServiceConfigs} logs at WARN: the proxy's, each as
 * {@code path: message} (its {@code ConfigWarningsTest}, without line numbers).
 */
class UpstreamReaderTest {

    private static final ObjectMapper JACKSON = new ObjectMapper(new YAMLFactory());

    private final List<String> warnings = new ArrayList<>();

    private List<ServiceConfig> read(String upstreams) {
        Map<String, ?> tree;
        try {
            tree = JACKSON.readValue(upstreams, new TypeReference<Map<String, Object>>() { });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return UpstreamReader.readAll(tree, name -> null, warnings::add);
    }

    @Test
    void warnsThatAHashKeyIsIgnoredByABalancerThatDoesNotHash() {
        read("api: { hash_key: header:x-user, bounded_load: 1.5, endpoints: [127.0.0.1:9001] }");

        assertThat(warnings).containsExactly(
                "upstreams.api.hash_key: ignored by balancer 'round-robin' (only ring-hash and maglev use a hash key)",
                "upstreams.api.bounded_load: ignored by balancer 'round-robin' (only ring-hash and maglev bound loads)");
    }

    @Test
    void warnsThatSlowStartIsIgnoredByABalancerThatIgnoresWeights() {
        ServiceConfig roundRobin = read("""
                api:
                  slow_start: 30s
                  endpoints: [127.0.0.1:9001]
                """).getFirst();
        // A warning, not an error, as in the proxy: the file still builds, and the value is kept as read.
        assertThat(roundRobin.slowStart()).isEqualTo(Duration.ofSeconds(30));
        assertThat(warnings).containsExactly("upstreams.api.slow_start: ignored by balancer 'round-robin'"
                + " (only those that use weights ramp up: weighted-round-robin, weighted-random, least-connections,"
                + " least-request, peak-ewma, ring-hash, maglev)");

        for (String balancer : List.of("random", "first")) {
            warnings.clear();
            read("api: { balancer: %s, slow_start: 30s, endpoints: [127.0.0.1:9001] }".formatted(balancer));
            assertThat(warnings).singleElement().asString()
                    .startsWith("upstreams.api.slow_start: ignored by balancer '" + balancer + "'");
        }
        for (String quiet : List.of("{ balancer: least-request, slow_start: 30s", "{ slow_start: 0",
                "{ balancer: weighted-round-robin, slow_start: 1m")) {
            warnings.clear();
            read("api: %s, endpoints: [127.0.0.1:9001] }".formatted(quiet));
            assertThat(warnings).as(quiet).isEmpty();
        }
        // Not after a misspelt balancer: the user may have meant one that uses weights.
        warnings.clear();
        assertThatThrownBy(() -> read("api: { balancer: roundrobin, slow_start: 30s, endpoints: [127.0.0.1:9001] }"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown balancer 'roundrobin'");
        assertThat(warnings).isEmpty();
    }

    @Test
    void warnsOfAQueryHashKeyNameWrittenEncodedInTheProxysWords() {
        // As the proxy's ConfigWarningsTest: the name is compared with each parameter's decoded name, so
        // query:page%5Bid%5D (the way to name page[id] while names were tokens) would match nothing.
        ServiceConfig api = read("""
                api:
                  balancer: ring-hash
                  hash_key: query:page%5Bid%5D
                  endpoints: [127.0.0.1:9001]
                """).getFirst();

        assertThat(api.hashKey()).hasToString("query:page%5Bid%5D");
        assertThat(warnings).containsExactly("upstreams.api.hash_key: query names are written decoded, as the"
                + " backend reads them: 'page%5Bid%5D' matches a parameter sent as page%255Bid%255D, while"
                + " ?page%5Bid%5D= is page[id] and gives no key; did you mean query:page[id]?");

        warnings.clear();
        read("api: { balancer: maglev, hash_key: 'query:a%2Bb', endpoints: [127.0.0.1:9001] }");
        assertThat(warnings).containsExactly("upstreams.api.hash_key: query names are written decoded, as the"
                + " backend reads them: 'a%2Bb' matches a parameter sent as a%252Bb, while ?a%2Bb= is a+b and gives"
                + " no key; did you mean query:a+b?");

        // A '+' is a plus sign, as the backend reads it (query:a+b finds ?a%2Bb=): no warning.
        for (String quiet : List.of("query:page[id]", "query:100%", "query:a%zz", "query:a+b", "header:a+b",
                "cookie:a%5B")) {
            warnings.clear();
            read("api: { balancer: ring-hash, hash_key: '%s', endpoints: [127.0.0.1:9001] }".formatted(quiet));
            assertThat(warnings).as(quiet).isEmpty();
        }
        // Ignored by a balancer that does not hash: said once, as ignored.
        warnings.clear();
        read("api: { hash_key: 'query:page%5Bid%5D', endpoints: [127.0.0.1:9001] }");
        assertThat(warnings).singleElement().asString().startsWith("upstreams.api.hash_key: ignored by balancer");
    }
}
