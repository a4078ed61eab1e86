package dev.ballast.core.endpoint;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class Ipv6TextTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "0:0:0:0:0:0:0:1, ::1",
            "::1, ::1",
            "FD00:0:0::5, fd00::5",
            "fd00:0000:0000:0000:0000:0000:0000:0005, fd00::5",
            "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
            "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
            "0:0:0:0:0:0:0:0, ::",
            "1:0:0:0:0:0:0:0, 1::",
            "fe80::1%eth0, fe80::1%eth0",
            "FE80:0::1%eth0, fe80::1%eth0",
            "::ffff:10.0.0.1, ::ffff:10.0.0.1",
            "10.0.0.1, 10.0.0.1",
            "api.internal, api.internal",
    })
    void writesEveryIpv6AddressOneWayAndLeavesTheRestAlone(String host, String canonical) {
        assertThat(Ipv6Text.canonical(host)).isEqualTo(canonical);
        if (host.indexOf(':') >= 0) {
            assertThat(Endpoint.of(host, 80).address()).isEqualTo("[" + canonical + "]:80");
        }
    }
}
