package dev.ballast.core.pick;

import dev.ballast.core.state.EndpointState;
import dev.ballast.core.testing.TestEndpoints;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class LeastRequestTest {

    private static Picker leastRequest(List<EndpointState> states) {
        return Policies.of(Policies.LEAST_REQUEST, BalancerOptions.defaults().withRng(Rng.seeded(3)))
                .newPicker(EndpointSet.of(states));
    }

    private static EndpointState pick(Picker picker) {
        return ((PickResult.Picked) picker.pick(PickContext.NONE)).endpoint();
    }

    @Test
    void ofTwoEndpointsTakesTheLessLoaded() {
        List<EndpointState> states = TestEndpoints.states(TestEndpoints.equal(2));
        Picker picker = leastRequest(states);
        states.get(0).acquire();

        for (int k = 0; k < 20; k++) {
            EndpointState picked = pick(picker);
            assertThat(picked).isSameAs(states.get(1));
            picked.release();
        }
    }

    @Test
    void neverTakesTheBusierOfItsTwoChoices() {
        List<EndpointState> states = TestEndpoints.states(TestEndpoints.equal(3));
        Picker picker = leastRequest(states);
        for (int k = 0; k < 5; k++) {
            states.get(2).acquire();
        }

        // Any two distinct endpoints of three include 0 or 1, both idle: 2 is never the lesser.
        for (int k = 0; k < 200; k++) {
            EndpointState picked = pick(picker);
            assertThat(picked).isNotSameAs(states.get(2));
            picked.release();
        }
    }

    @Test
    void weighsLoadsByWeight() {
        List<EndpointState> states = TestEndpoints.states(TestEndpoints.withWeights(1, 4));
        Picker picker = leastRequest(states);
        for (int k = 0; k < 3; k++) {
            states.get(1).acquire();
        }

        // (0 + 1) / 1 = 1 against (3 + 1) / 4 = 1: a tie goes to the first choice, either; one more decides.
        states.get(1).acquire();
        for (int k = 0; k < 20; k++) {
            EndpointState picked = pick(picker);
            assertThat(picked).isSameAs(states.get(0));
            picked.release();
        }
        states.get(1).release();
        states.get(1).release();
        for (int k = 0; k < 20; k++) {
            EndpointState picked = pick(picker);
            assertThat(picked).isSameAs(states.get(1)); // (2 + 1) / 4 < 1
            picked.release();
        }
    }
}
