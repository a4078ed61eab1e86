package dev.ballast.core.endpoint;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EndpointTest {

    @Test
    void parsesHostAndPort() {
        Endpoint endpoint = Endpoint.parse("backend-1.internal:8080");

        assertThat(endpoint.host()).isEqualTo("backend-1.internal");
        assertThat(endpoint.port()).isEqualTo(8080);
        assertThat(endpoint.weight()).isEqualTo(Endpoint.DEFAULT_WEIGHT);
        assertThat(endpoint.zone()).isEmpty();
        assertThat(endpoint.metadata()).isEmpty();
        assertThat(endpoint.address()).isEqualTo("backend-1.internal:8080");
    }

    @Test
    void parsesIpv4AndIgnoresSurroundingSpace() {
        assertThat(Endpoint.parse("  10.0.0.7:443 ").address()).isEqualTo("10.0.0.7:443");
    }

    @Test
    void parsesBracketedIpv6AndPrintsItBracketed() {
        Endpoint endpoint = Endpoint.parse("[2001:db8::1]:9000");

        assertThat(endpoint.host()).isEqualTo("2001:db8::1");
        assertThat(endpoint.port()).isEqualTo(9000);
        assertThat(endpoint.address()).isEqualTo("[2001:db8::1]:9000");
        assertThat(Endpoint.of("::1", 80).address()).isEqualTo("[::1]:80");
        assertThat(new Endpoint("[::1]", 80, 1, "", Map.of()).host()).isEqualTo("::1");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", "host", "host:", ":8080", "::1:8080", "2001:db8::1", "[::1]", "[::1]8080", "[::1:8080",
            "[]:80", "host:80x", "host:+80", "host:-1", "host:8 0", "host:1234567890", "[::1]:", "host:٨٠"})
    void rejectsMalformedAddressesNamingTheExpectedForm(String address) {
        assertThatThrownBy(() -> Endpoint.parse(address))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("address: '" + address + "' (expected: host:port, with IPv6 in brackets as [::1]:8080)");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 65_536, 99_999})
    void rejectsPortsOutOfRange(int port) {
        assertThatThrownBy(() -> Endpoint.parse("host:" + port))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("port: " + port + " out of range (expected: 1..65535)");
        assertThatThrownBy(() -> Endpoint.of("host", port))
                .hasMessage("port: " + port + " out of range (expected: 1..65535)");
    }

    @Test
    void acceptsTheWholePortRange() {
        assertThat(Endpoint.parse("host:1").port()).isEqualTo(1);
        assertThat(Endpoint.parse("host:65535").port()).isEqualTo(65_535);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 10_001, Integer.MAX_VALUE})
    void rejectsWeightsOutsideOneToTenThousand(int weight) {
        Endpoint endpoint = Endpoint.of("host", 80);

        assertThatThrownBy(() -> endpoint.withWeight(weight))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("weight: " + weight + " (expected: 1..10000)");
    }

    @Test
    void acceptsWeightsAtTheBounds() {
        assertThat(Endpoint.of("host", 80).withWeight(1).weight()).isEqualTo(1);
        assertThat(Endpoint.of("host", 80).withWeight(10_000).weight()).isEqualTo(10_000);
    }

    @Test
    void rejectsBlankHostsAndUnbalancedBrackets() {
        assertThatThrownBy(() -> Endpoint.of(" ", 80))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("host: empty (expected: a host name or an IP address)");
        assertThatThrownBy(() -> Endpoint.of("[::1", 80))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[::1");
        assertThatThrownBy(() -> Endpoint.of("::1]", 80))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("::1]");
    }

    @Test
    void isImmutable() {
        Map<String, String> metadata = new HashMap<>(Map.of("version", "v2"));
        Endpoint endpoint = Endpoint.of("host", 80).withMetadata(metadata);
        metadata.put("version", "v3");

        assertThat(endpoint.metadata()).containsExactly(Map.entry("version", "v2"));
        assertThatThrownBy(() -> endpoint.metadata().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void withersKeepTheOtherFields() {
        Endpoint endpoint = Endpoint.parse("[::1]:80").withWeight(7).withZone("eu-1").withMetadata(Map.of("k", "v"));

        assertThat(endpoint).isEqualTo(new Endpoint("::1", 80, 7, "eu-1", Map.of("k", "v")));
        assertThat(endpoint.toString()).isEqualTo("[::1]:80(w=7)");
    }
}
