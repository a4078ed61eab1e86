package dev.ballast.proxy.admin;

import dev.ballast.proxy.config.ConfigLoader;
import dev.ballast.proxy.config.MatchConfig;
import dev.ballast.proxy.config.ProxyConfig;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** One configuration, one digest: whatever the file leaves to defaults, and whatever order its maps come in. */
class ConfigDigestTest {

    private static ProxyConfig parse(String upstream) {
        return ConfigLoader.parse("""
                listeners: [{ name: public, address: 127.0.0.1:8080 }]
                upstreams:
                  api:
                %s
                    endpoints: [127.0.0.1:9001]
                routes:
                  - upstream: api
                """.formatted(upstream), "test.yaml", name -> null).config();
    }

    @Test
    void aDefaultWrittenOutOrLeftOutIsOneConfiguration() {
        String leftOut = ConfigDigest.of(parse("    idle_timeout: 60s"));
        String writtenOut = ConfigDigest.of(parse("    balancer: round-robin\n    connect_timeout: 1s"));

        assertThat(writtenOut).isEqualTo(leftOut).matches("[0-9a-f]{16}");
        assertThat(ConfigDigest.of(parse("    connect_timeout: 2s"))).isNotEqualTo(leftOut);
    }

    @Test
    void mapsAreReadInKeyOrderAndAMatchKeepsItsCollectionsSorted() {
        Map<String, String> ba = new LinkedHashMap<>();
        ba.put("b", "2");
        ba.put("a", "1");
        Map<String, String> ab = new LinkedHashMap<>();
        ab.put("a", "1");
        ab.put("b", "2");

        assertThat(AdminJson.canonicalBytes(ba)).isEqualTo(AdminJson.canonicalBytes(ab));
        MatchConfig match = new MatchConfig(null, null, "/", null, new LinkedHashSet<>(List.of("POST", "GET")), ba, ba);
        assertThat(match.methods()).containsExactly("GET", "POST");
        assertThat(match.headers().keySet()).containsExactly("a", "b");
        assertThat(match.query().keySet()).containsExactly("a", "b");
    }
}
