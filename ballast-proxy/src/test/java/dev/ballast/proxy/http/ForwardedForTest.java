package dev.ballast.proxy.http;

import dev.ballast.proxy.config.TrustedProxies;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Who a request from a trusted proxy is for: X-Forwarded-For read from the right. */
class ForwardedForTest {

    private static final TrustedProxies TRUSTED = TrustedProxies.of(List.of("10.0.0.0/8", "127.0.0.0/8", "fd00::/8"));
    private static final String PEER = "127.0.0.1";

    private static String client(String... lines) {
        HttpHeaders headers = new DefaultHttpHeaders();
        for (String line : lines) {
            headers.add("X-Forwarded-For", line);
        }
        return ForwardedFor.client(headers, TRUSTED, PEER);
    }

    @Test
    void theClientIsTheLastAddressNoTrustedProxyOwns() {
        assertThat(client("198.51.100.9, 203.0.113.7, 10.1.1.1")).as("what a client wrote at the left is not believed")
                .isEqualTo("203.0.113.7");
        assertThat(client("198.51.100.9", "203.0.113.7:4711, 10.1.1.1")).as("over two lines, with a port")
                .isEqualTo("203.0.113.7");
        assertThat(client("[2001:db8::7]:443, fd00::2")).isEqualTo("2001:db8:0:0:0:0:0:7");
        assertThat(client("::ffff:203.0.113.7")).as("IPv4-mapped, written as IPv6").isEqualTo("203.0.113.7");
    }

    @Test
    void withOnlyTrustedAddressesTheLeftmostIsTheClientAndWithoutTheHeaderThePeerIs() {
        assertThat(client("10.0.0.1, 10.0.0.2")).isEqualTo("10.0.0.1");
        assertThat(client()).isEqualTo(PEER);
        assertThat(client(",, ,")).isEqualTo(PEER);
    }

    @Test
    void anEntryThatIsNotAnAddressEndsTheWalkAtTheOneToItsRight() {
        assertThat(client("203.0.113.7, unknown, 10.0.0.2")).isEqualTo("10.0.0.2");
        assertThat(client("unknown")).isEqualTo(PEER);
        // localhost would resolve to 127.0.0.1, a trusted address, and the walk would go on to 203.0.113.7.
        assertThat(client("203.0.113.7, localhost, 10.0.0.2")).as("never looked up").isEqualTo("10.0.0.2");
        assertThat(client("203.0.113.7, .::, 10.0.0.2")).as("not even what the JDK would take for a name")
                .isEqualTo("10.0.0.2");
        assertThat(client("203.0.113.7, " + ":".repeat(16_000) + "x, 10.0.0.2")).isEqualTo("10.0.0.2");
        assertThat(client("[2001:db8::7")).isEqualTo(PEER);
        assertThat(client("203.0.113.7:80:90")).isEqualTo(PEER);
    }
}
