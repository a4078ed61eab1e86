package dev.ballast.proxy.config;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code trusted_proxies}: which ranges parse, what they hold, and what a file is told when one is wrong. */
class TrustedProxiesConfigTest {

    private static final String REST = """
            upstreams:
              api:
                endpoints: [127.0.0.1:9001]
            routes:
              - upstream: api
            """;

    private static boolean holds(TrustedProxies trusted, String address) throws Exception {
        return trusted.contains(InetAddress.getByName(address).getAddress());
    }

    @Test
    void rangesHoldTheAddressesOfTheirPrefixAndNoOthers() throws Exception {
        TrustedProxies trusted = TrustedProxies.of(List.of("10.0.0.0/8", "192.168.1.7", "172.16.0.0/12", "fd00::/8",
                "2001:db8::1"));

        assertThat(holds(trusted, "10.255.3.4")).isTrue();
        assertThat(holds(trusted, "11.0.0.1")).isFalse();
        assertThat(holds(trusted, "192.168.1.7")).isTrue();
        assertThat(holds(trusted, "192.168.1.8")).isFalse();
        assertThat(holds(trusted, "172.31.255.255")).as("/12 ends at 172.31").isTrue();
        assertThat(holds(trusted, "172.32.0.0")).isFalse();
        assertThat(holds(trusted, "fd12:3456::1")).isTrue();
        assertThat(holds(trusted, "fe80::1")).isFalse();
        assertThat(holds(trusted, "2001:db8::1")).isTrue();
        assertThat(holds(trusted, "2001:db8::2")).isFalse();
        assertThat(trusted.contains(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 10, 1, 2, 3}))
                .as("an IPv4-mapped IPv6 peer, as a dual-stack listener sees an IPv4 client").isTrue();
        assertThat(TrustedProxies.NONE.contains(InetAddress.getByName("127.0.0.1").getAddress())).isFalse();
    }

    @Test
    void aRangeThatIsNotOneSaysWhy() {
        assertThatThrownBy(() -> TrustedProxies.of(List.of("10.0.0.0/33"))).hasMessage(
                "'10.0.0.0/33': prefix length '33' out of range (expected: 0..32 for an IPv4 address)");
        assertThatThrownBy(() -> TrustedProxies.of(List.of("10.1.2.3/8"))).hasMessage(
                "'10.1.2.3/8' has bits set past its /8 prefix (expected: the range's first address, e.g. 10.0.0.0/8)");
        for (String wrong : List.of("lb.example.com", "10.0.0.256", "10.0.0", "1::2::3", "10.0.0.0/", "10.0.0.0/x")) {
            assertThatThrownBy(() -> TrustedProxies.of(List.of(wrong))).as(wrong)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'" + wrong + "'");
        }
    }

    @Test
    void aFileGetsEachWrongRangeWithItsLineAndAWarningForTrustingEveryone() {
        ConfigResult broken = ConfigLoader.parse("""
                listeners: [{ name: public, address: 127.0.0.1:8080 }]
                trusted_proxies:
                  - 10.0.0.0/8
                  - lb.example.com
                  - 10.0.0.0/40
                """ + REST, "test.yaml", name -> null);
        assertThat(broken.errors()).extracting(ConfigProblem::format).containsExactly(
                "trusted_proxies[1]: 'lb.example.com' is not an IP address or a CIDR range, like 10.0.0.0/8,"
                        + " 192.168.1.7 or fd00::/8 (line 4)",
                "trusted_proxies[2]: '10.0.0.0/40': prefix length '40' out of range (expected: 0..32 for an IPv4"
                        + " address) (line 5)");

        ConfigResult everyone = ConfigLoader.parse("""
                listeners: [{ name: public, address: 127.0.0.1:8080 }]
                trusted_proxies: [0.0.0.0/0]
                """ + REST, "test.yaml", name -> null);
        assertThat(everyone.ok()).isTrue();
        assertThat(everyone.warnings()).extracting(ConfigProblem::format).containsExactly(
                "trusted_proxies: a /0 range trusts every client, so any client can claim any scheme or host in"
                        + " X-Forwarded-Proto, X-Forwarded-Host and Forwarded (expected: the addresses of the proxies"
                        + " in front of Ballast only) (line 2)");
        assertThat(everyone.config().trustedProxies().ranges()).containsExactly("0.0.0.0/0");
    }

    @Test
    void withoutTheKeyNoOneIsTrusted() {
        ConfigResult result = ConfigLoader.parse("listeners: [{ name: public, address: 127.0.0.1:8080 }]\n" + REST,
                "test.yaml", name -> null);

        assertThat(result.config().trustedProxies()).isSameAs(TrustedProxies.NONE);
    }
}
