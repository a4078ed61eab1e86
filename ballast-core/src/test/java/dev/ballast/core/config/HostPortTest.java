package dev.ballast.core.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class HostPortTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({"127.0.0.1:8080, 127.0.0.1, 8080", "'[::1]:9901', ::1, 9901", "localhost:0, localhost, 0",
            "api.example.com:443, api.example.com, 443", "'[fe80::1%eth0]:80', fe80::1%eth0, 80"})
    void parsesHostAndPort(String text, String host, int port) {
        assertThat(HostPort.parse(text)).isEqualTo(new HostPort(host, port));
    }

    @Test
    void printsIpv6HostsInBrackets() {
        assertThat(new HostPort("::1", 9901)).hasToString("[::1]:9901");
        assertThat(new HostPort("0.0.0.0", 8080)).hasToString("0.0.0.0:8080");
    }

    @Test
    void allowsPortZeroToBindButNotToConnect() {
        assertThat(HostPort.parse("127.0.0.1:0").port()).isZero();
        assertThatIllegalArgumentException().isThrownBy(() -> HostPort.parse("127.0.0.1:0", 1))
                .withMessage("port 0 out of range (expected: 1..65535)");
    }

    @Test
    void saysWhichPortIsOutOfRange() {
        assertThatIllegalArgumentException().isThrownBy(() -> HostPort.parse("127.0.0.1:70000"))
                .withMessage("port 70000 out of range (expected: 0..65535)");
    }

    @Test
    void tellsIpAddressesFromHostNames() {
        assertThat(HostPort.parse("10.0.0.7:80").isIpAddress()).isTrue();
        assertThat(HostPort.parse("[fd00::1]:80").isIpAddress()).isTrue();
        assertThat(HostPort.parse("api.svc.cluster.local:80").isIpAddress()).isFalse();
        assertThat(HostPort.parse("localhost:80").isIpAddress()).isFalse();
        assertThat(HostPort.parse("010.0.0.1:80").isIpAddress()).as("leading zeros, as the JDK reads them").isTrue();
        assertThat(HostPort.parse("0.0.0.0:80").isIpAddress()).isTrue();
        assertThat(HostPort.parse("[fe80::1%eth0]:80").isIpAddress()).as("with a scope").isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"256.1.1.1:80, 256.1.1.1", "10.0.0.256:80, 10.0.0.256", "1.2.3:80, 1.2.3", "1.2.3.4.5:80, 1.2.3.4.5",
            "10:80, 10", "api.example.7:80, api.example.7"})
    void rejectsAMistypedIpv4AddressRatherThanTakeItForAName(String text, String host) {
        assertThatIllegalArgumentException().isThrownBy(() -> HostPort.parse(text))
                .withMessage("'" + host + "' is not a valid IPv4 address");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"[1:2]:80", "[:]:80", "[12345::]:80", "[::1::2]:80", "[1:2:3:4:5:6:7:8:9]:80",
            "[1:2:3:4:5:6:7::8:9]:80", "[1::2:]:80", "[::1.2.3]:80", "[1.2::3]:80"})
    void rejectsAMalformedIpv6AddressRatherThanFailEveryConnectLater(String text) {
        assertThatIllegalArgumentException().isThrownBy(() -> HostPort.parse(text))
                .withMessageContaining("in brackets is not an IPv6 address");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"[::]:80", "[::1]:80", "[1:2:3:4:5:6:7:8]:80", "[1::8]:80", "[::ffff:10.0.0.1]:80",
            "[64:ff9b::192.0.2.33]:80", "[fe80::1%eth0]:80", "[FD00:0:0::1]:80", "[1:2:3:4:5:6::]:80"})
    void acceptsEveryWellFormedIpv6Spelling(String text) {
        assertThat(HostPort.parse(text).isIpAddress()).isTrue();
    }

    @org.junit.jupiter.api.Test
    void rejectsHostNamesNoResolverWouldTakeRatherThanFailEveryRequestLater() {
        assertThatIllegalArgumentException().isThrownBy(() -> HostPort.parse("a..b:80"))
                .withMessage("'a..b' has an empty label ('..')");
        assertThatIllegalArgumentException().isThrownBy(() -> HostPort.parse("x".repeat(64) + ".test:80"))
                .withMessageEndingWith("is too long for a host name (expected: labels of at most 63 characters,"
                        + " 253 in all, RFC 1035)");
        String longName = ("a".repeat(50) + ".").repeat(5) + "test"; // 259 characters
        assertThatIllegalArgumentException().isThrownBy(() -> HostPort.parse(longName + ":80"))
                .withMessageContaining("too long for a host name");
        assertThat(HostPort.parse("x".repeat(63) + ".test:80").host()).hasSize(68);
    }
}
