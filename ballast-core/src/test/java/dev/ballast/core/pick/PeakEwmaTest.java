package dev.ballast.core.pick;

import dev.ballast.core.state.EndpointRegistry;
import dev.ballast.core.state.EndpointState;
import dev.ballast.core.testing.FakeTicker;
import dev.ballast.core.testing.TestEndpoints;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PeakEwmaTest {

    private static final long MS = 1_000_000L;

    private final FakeTicker ticker = new FakeTicker();
    private final EndpointRegistry registry = new EndpointRegistry(ticker, Duration.ofSeconds(10));

    private Picker picker(String id, List<EndpointState> states) {
        return Policies.of(id, BalancerOptions.defaults().withRng(Rng.seeded(11)).withTicker(ticker))
                .newPicker(EndpointSet.of(states));
    }

    private static EndpointState pick(Picker picker) {
        return ((PickResult.Picked) picker.pick(PickContext.NONE)).endpoint();
    }

    /**
     * Three endpoints, one fifty times slower; four requests in flight at a time, one finishing per
     * millisecond with its endpoint's latency. Peak EWMA sends the slow one almost nothing; a
     * latency-blind balancer (least-request, same two random choices) gives it a third.
     */
    @Test
    void prefersTheFastEndpointsInASimulatedMix() {
        List<EndpointState> states = registry.sync(TestEndpoints.equal(3));
        long[] latency = {1 * MS, 1 * MS, 50 * MS};

        int[] peakEwma = simulate(picker(Policies.PEAK_EWMA, states), states, latency);
        List<EndpointState> others = new EndpointRegistry(ticker).sync(TestEndpoints.equal(3));
        int[] leastRequest = simulate(picker(Policies.LEAST_REQUEST, others), others, latency);

        assertThat(peakEwma[2]).isLessThan(100); // of 10,000: the first probe and little else
        assertThat(peakEwma[0]).isBetween(4_000, 6_000);
        assertThat(leastRequest[2]).isGreaterThan(3_000);
    }

    private int[] simulate(Picker picker, List<EndpointState> states, long[] latency) {
        int[] counts = new int[states.size()];
        ArrayDeque<EndpointState> inFlight = new ArrayDeque<>();
        for (int k = 0; k < 10_000; k++) {
            EndpointState picked = pick(picker);
            int index = states.indexOf(picked);
            counts[index]++;
            inFlight.add(picked);
            if (inFlight.size() > 4) {
                EndpointState done = inFlight.poll();
                done.release(latency[states.indexOf(done)]);
            }
            ticker.advance(Duration.ofMillis(1));
        }
        inFlight.forEach(EndpointState::release);
        return counts;
    }

    /**
     * A slow endpoint stops getting traffic, so its estimate only decays: 100 ms x exp(-t / 10 s)
     * drops below the fast endpoint's 1 ms after t = 10 s x ln(100), about 46 s, and it is tried again.
     */
    @Test
    void retriesAOnceSlowEndpointOnceItsLatencyHasDecayed() {
        List<EndpointState> states = registry.sync(TestEndpoints.equal(2));
        EndpointState fast = states.get(0);
        EndpointState slow = states.get(1);
        fast.observeLatency(1 * MS);
        slow.observeLatency(100 * MS);
        Picker picker = picker(Policies.PEAK_EWMA, states);
        long start = ticker.nanos();

        long retriedAfter = -1;
        for (int step = 0; step < 1_000 && retriedAfter < 0; step++) {
            ticker.advance(Duration.ofMillis(100));
            EndpointState picked = pick(picker);
            picked.release(picked == fast ? 1 * MS : 100 * MS);
            if (picked == slow) {
                retriedAfter = ticker.nanos() - start;
            }
        }

        assertThat(retriedAfter).isBetween(Duration.ofSeconds(45).toNanos(), Duration.ofSeconds(47).toNanos());
        // Its new sample is a peak again: back to the fast one.
        for (int k = 0; k < 10; k++) {
            ticker.advance(Duration.ofMillis(100));
            EndpointState picked = pick(picker);
            picked.release(1 * MS);
            assertThat(picked).isSameAs(fast);
        }
    }

    @Test
    void probesANewEndpointOnceWithoutFloodingIt() {
        List<EndpointState> states = registry.sync(TestEndpoints.equal(2));
        EndpointState known = states.get(0);
        EndpointState fresh = states.get(1);
        known.observeLatency(1 * MS);
        Picker picker = picker(Policies.PEAK_EWMA, states);

        assertThat(pick(picker)).isSameAs(fresh); // no sample, idle: costs nothing
        for (int k = 0; k < 20; k++) {
            assertThat(pick(picker)).isSameAs(known); // its first request is still out: penalised
        }
    }
}
