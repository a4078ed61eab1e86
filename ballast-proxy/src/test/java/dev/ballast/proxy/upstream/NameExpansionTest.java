package dev.ballast.proxy.upstream;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.pick.Policies;
import dev.ballast.proxy.config.UpstreamConfig;
import dev.ballast.proxy.testing.TestConfigs;
import dev.ballast.proxy.testing.TestNames;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.ballast.proxy.upstream.NameLookups.NONE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code resolve: all} without DNS: the answers are handed to {@link NameExpansion#update} as
 * {@link DnsRefresh} does, so each case is exact.
 */
class NameExpansionTest {

    private static final Endpoint ORDERS = new Endpoint("orders.svc", 8080, 2, "eu-west-1a", Map.of("tier", "gold"));

    private static InetAddress ip(String literal) throws UnknownHostException {
        return InetAddress.getByName(literal); // a literal: no lookup
    }

    private static UpstreamConfig upstream(List<Endpoint> endpoints) {
        return TestConfigs.upstream("orders", Policies.ROUND_ROBIN, endpoints).withResolveAll(Set.of(ORDERS.address()));
    }

    @Test
    void eachAddressIsAnEndpointWithTheEntrysWeightZoneAndLabelsPlusTheName() throws Exception {
        NameExpansion expansion = new NameExpansion("orders");
        expansion.update(ORDERS, List.of(ip("10.0.0.1"), ip("10.0.0.2")));

        assertThat(expansion.members(upstream(List.of(ORDERS)), true, NONE)).containsExactly(
                new Endpoint("10.0.0.1", 8080, 2, "eu-west-1a", Map.of("tier", "gold", "dns_name", "orders.svc")),
                new Endpoint("10.0.0.2", 8080, 2, "eu-west-1a", Map.of("tier", "gold", "dns_name", "orders.svc")));
    }

    @Test
    void anAddressListedTwiceIsOneEndpointTheFirst() throws Exception {
        NameExpansion expansion = new NameExpansion("orders");
        expansion.update(ORDERS, List.of(ip("10.0.0.1"), ip("10.0.0.2")));
        Endpoint listed = Endpoint.of("10.0.0.2", 8080);

        assertThat(expansion.members(upstream(List.of(listed, ORDERS)), true, NONE)).extracting(Endpoint::address)
                .containsExactly("10.0.0.2:8080", "10.0.0.1:8080");
        assertThat(expansion.members(upstream(List.of(listed, ORDERS)), true, NONE).getFirst()).isEqualTo(listed);
    }

    @Test
    void aDualStackAnswerCountsEachInstanceOnceInTheFirstAddresssFamily() throws Exception {
        NameExpansion expansion = new NameExpansion("orders");
        expansion.update(ORDERS, List.of(ip("10.0.0.1"), ip("fd00:0:0:0:0:0:0:1"), ip("10.0.0.2")));
        assertThat(expansion.members(upstream(List.of(ORDERS)), true, NONE)).extracting(Endpoint::address)
                .containsExactly("10.0.0.1:8080", "10.0.0.2:8080");

        expansion.update(ORDERS, List.of(ip("fd00::1"), ip("10.0.0.1"), ip("fd00::2")));
        assertThat(expansion.members(upstream(List.of(ORDERS)), true, NONE)).extracting(Endpoint::address)
                .as("IPv6 in its short form, in brackets").containsExactly("[fd00::1]:8080", "[fd00::2]:8080");
    }

    @Test
    void onlyANewSetOfAddressesIsAChangeNotANewOrder() throws Exception {
        NameExpansion expansion = new NameExpansion("orders");
        assertThat(expansion.update(ORDERS, List.of(ip("10.0.0.1"), ip("10.0.0.2")))).isTrue();
        assertThat(expansion.update(ORDERS, List.of(ip("10.0.0.2"), ip("10.0.0.1")))).isFalse();
        assertThat(expansion.update(ORDERS, List.of(ip("10.0.0.2"), ip("10.0.0.3")))).isTrue();
        assertThat(expansion.unresolved(ORDERS)).isFalse();
    }

    @Test
    void aNameNoLongerConfiguredIsForgotten() throws Exception {
        NameExpansion expansion = new NameExpansion("orders");
        expansion.update(ORDERS, List.of(ip("10.0.0.1")));
        Endpoint other = Endpoint.of("10.0.0.9", 8080);

        assertThat(expansion.members(TestConfigs.upstream("orders", Policies.ROUND_ROBIN, List.of(other)), true, NONE))
                .containsExactly(other);
        assertThat(expansion.unresolved(ORDERS)).isTrue();
    }

    @Test
    void aNameWithoutAnAddressIsLookedUpAgainOnlyWhenAsked() throws Exception {
        Path hosts = TestNames.hostsFile();
        assumeTrue(hosts != null, "names resolve from a test hosts file (the pom's argLine sets it)");
        String base = Files.readString(hosts);
        Endpoint late = Endpoint.of("late.ballast.test", 8080);
        UpstreamConfig config = TestConfigs.upstream("orders", Policies.ROUND_ROBIN, List.of(late))
                .withResolveAll(Set.of(late.address()));
        NameExpansion expansion = new NameExpansion("orders");
        try {
            assertThat(expansion.members(config, true, NONE)).as("the name does not resolve yet").isEmpty();
            Files.writeString(hosts, base + "127.0.0.7 late.ballast.test\n");

            assertThat(expansion.members(config, false, NONE)).as("DNS changed another name: no lookup here").isEmpty();
            assertThat(expansion.members(config, true, NONE)).as("a reload: looked up again")
                    .extracting(Endpoint::address).containsExactly("127.0.0.7:8080");
        } finally {
            Files.writeString(hosts, base);
        }
    }
}
