package dev.ballast.core.pick;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PoliciesTest {

    @Test
    void knowsEveryBalancerByItsConfigurationId() {
        assertThat(Policies.ids()).containsExactly(
                "round-robin", "weighted-round-robin", "random", "weighted-random", "least-connections",
                "least-request", "peak-ewma", "ring-hash", "maglev", "first");
        for (String id : Policies.ids()) {
            assertThat(Policies.of(id, BalancerOptions.defaults()).id()).isEqualTo(id);
        }
        assertThat(Policies.ids()).filteredOn(Policies::isHashBased).containsExactly("ring-hash", "maglev");
        assertThat(Policies.ids()).filteredOn(id -> !Policies.usesWeights(id))
                .as("as the balancer table of docs/configuration.md says").containsExactly("round-robin", "random", "first");
        assertThat(Policies.usesWeights("fastest")).isFalse();
    }

    @Test
    void rejectsAnUnknownIdListingTheKnownOnes() {
        assertThat(Policies.byId("fastest", BalancerOptions.defaults())).isEmpty();
        assertThatThrownBy(() -> Policies.of("fastest", BalancerOptions.defaults()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("balancer: 'fastest' (expected one of: round-robin, weighted-round-robin, random, "
                        + "weighted-random, least-connections, least-request, peak-ewma, ring-hash, maglev, first)");
    }

    @Test
    void rejectsBadHashOptions() {
        assertThatThrownBy(() -> BalancerOptions.defaults().withBoundedLoad(0.5))
                .hasMessage("bounded load factor: 0.5 (expected: 0 for none, or >= 1.0)");
        assertThatThrownBy(() -> BalancerOptions.defaults().withMaglevTableSize(65_536))
                .hasMessage("maglev table size: 65536 (expected: a prime)");
    }
}
