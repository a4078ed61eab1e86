package dev.ballast.core.state;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.testing.FakeTicker;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EndpointRegistryTest {

    private final FakeTicker ticker = new FakeTicker();
    private final EndpointRegistry registry = new EndpointRegistry(ticker);

    private final Endpoint a = Endpoint.parse("10.0.0.1:80");
    private final Endpoint b = Endpoint.parse("10.0.0.2:80");
    private final Endpoint c = Endpoint.parse("[::1]:80");

    @Test
    void keepsTheStateOfEndpointsThatStay() {
        List<EndpointState> first = registry.sync(List.of(a, b));
        EndpointState stateOfA = first.get(0);
        stateOfA.acquire();
        stateOfA.setHealth(Health.UNHEALTHY);
        stateOfA.observeLatency(5_000_000);

        List<EndpointState> second = registry.sync(List.of(c, a.withWeight(3)));

        assertThat(second.get(1)).isSameAs(stateOfA);
        assertThat(stateOfA.active()).isEqualTo(1);
        assertThat(stateOfA.health()).isEqualTo(Health.UNHEALTHY);
        assertThat(stateOfA.latencyEwmaNanos(ticker.nanos())).isPositive();
        assertThat(stateOfA.endpoint().weight()).isEqualTo(3); // takes the new weight
        assertThat(registry.get(b.address())).isNull();
        assertThat(registry.get(c.address())).isSameAs(second.get(0));
        assertThat(registry.all()).containsExactlyInAnyOrder(second.get(0), stateOfA);
    }

    @Test
    void totalsRequestsInFlightOverTheCurrentMembers() {
        List<EndpointState> states = registry.sync(List.of(a, b));
        states.get(0).acquire();
        states.get(1).acquire();
        states.get(1).acquire();
        assertThat(registry.totalActive()).isEqualTo(3);

        registry.sync(List.of(a));
        assertThat(registry.totalActive()).isEqualTo(1);
        assertThat(states.get(1).active()).as("a removed endpoint's requests finish on its own state").isEqualTo(2);

        states.get(1).release();
        states.get(1).release();
        states.get(0).release();
        assertThat(registry.totalActive()).isZero();
        assertThat(states.get(1).active()).isZero();
    }

    @Test
    void rampsOnlyEndpointsThatJoinLater() {
        EndpointState original = registry.sync(List.of(a)).get(0);
        ticker.advance(Duration.ofSeconds(5));
        EndpointState joined = registry.sync(List.of(a, b)).get(1);

        assertThat(original.rampExempt()).isTrue();
        assertThat(joined.rampExempt()).isFalse();
        assertThat(joined.eligibleSinceNanos()).isEqualTo(ticker.nanos());
    }

    @Test
    void aStateInABalancerBuiltAnewTakesTheRampOfTheOneItReplaces() {
        List<EndpointState> before = registry.sync(List.of(a));
        ticker.advance(Duration.ofSeconds(5));
        EndpointState ramping = registry.sync(List.of(a, b)).get(1);
        EndpointRegistry rebuilt = new EndpointRegistry(ticker);
        List<EndpointState> after = rebuilt.sync(List.of(a, b));
        ticker.advance(Duration.ofSeconds(1));
        after.get(0).startRamp(ticker.nanos());

        after.get(0).takeRamp(before.get(0));
        after.get(1).takeRamp(ramping);

        assertThat(after.get(0).rampExempt()).as("a first member stays at full weight").isTrue();
        assertThat(after.get(1).rampExempt()).isFalse();
        assertThat(after.get(1).eligibleSinceNanos()).isEqualTo(ramping.eligibleSinceNanos());
    }

    @Test
    void rejectsDuplicateAddressesAndLeavesTheMembersAsTheyWere() {
        EndpointState kept = registry.sync(List.of(a)).getFirst();

        assertThatThrownBy(() -> registry.sync(List.of(b, a.withWeight(3), a.withWeight(2))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("endpoint 10.0.0.1:80: listed twice (expected: unique addresses)");

        assertThat(registry.all()).containsExactly(kept);
        assertThat(registry.get(b.address())).as("not added by the refused list").isNull();
        assertThat(kept.endpoint().weight()).as("not reweighed by it").isEqualTo(a.weight());
    }

    @Test
    void rejectsANonPositiveDecay() {
        assertThatThrownBy(() -> new EndpointRegistry(ticker, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("ewma decay: PT0S (expected: positive)");
    }
}
