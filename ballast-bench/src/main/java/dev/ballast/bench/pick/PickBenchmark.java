package dev.ballast.bench.pick;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.pick.Balancer;
import dev.ballast.core.pick.BalancerOptions;
import dev.ballast.core.pick.HashKeys;
import dev.ballast.core.pick.PickContext;
import dev.ballast.core.pick.PickResult;
import dev.ballast.core.pick.Picker;
import dev.ballast.core.pick.Policies;
import dev.ballast.core.state.EndpointState;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One pick and its release through a balancer's {@link Picker}, the data path of every request:
 * every balancer over 3, 100 and 1,000 endpoints with mixed weights (1..10, so the weighted
 * balancers take their weighted paths). Hash balancers get a precomputed key hash per operation,
 * cycled from a per-thread array, so the figure is the balancer's, not the hashing of a string.
 * peak-ewma releases with a latency sample, as the proxy does, so its EWMA update is counted too.
 *
 * <p>Run: {@code java -jar ballast-bench/target/benchmarks.jar PickBenchmark -prof gc} (add
 * {@code -t 2} for two threads); see docs/benchmarks.md.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class PickBenchmark {

    private static final long LATENCY_NANOS = 2_000_000;

    @Param({
            Policies.ROUND_ROBIN, Policies.WEIGHTED_ROUND_ROBIN, Policies.RANDOM, Policies.WEIGHTED_RANDOM,
            Policies.LEAST_CONNECTIONS, Policies.LEAST_REQUEST, Policies.PEAK_EWMA, Policies.RING_HASH,
            Policies.MAGLEV, Policies.FIRST})
    public String balancer;

    @Param({"3", "100", "1000"})
    public int size;

    private Picker picker;
    private boolean feedsLatency;
    private boolean hashed;

    @Setup(Level.Trial)
    public void setUp() {
        Balancer built = Balancer.builder(Policies.of(balancer, BalancerOptions.defaults())).build();
        List<Endpoint> endpoints = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            endpoints.add(Endpoint.parse("10." + (i >> 16 & 0xFF) + "." + (i >> 8 & 0xFF) + "." + (i & 0xFF) + ":8080")
                    .withWeight(1 + i % 10));
        }
        built.setEndpoints(endpoints);
        for (EndpointState state : built.members()) {
            state.observeLatency(LATENCY_NANOS); // every endpoint has an estimate, as after warm-up traffic
        }
        picker = built.picker();
        feedsLatency = balancer.equals(Policies.PEAK_EWMA);
        hashed = Policies.isHashBased(balancer);
    }

    @Benchmark
    public PickResult pickAndRelease(Request request) {
        request.nextKey(hashed);
        PickResult result = picker.pick(request);
        if (result instanceof PickResult.Picked picked) {
            if (feedsLatency) {
                // The caller read the clock to measure the latency; it passes that reading on.
                picked.endpoint().release(LATENCY_NANOS, request.clock());
            } else {
                picked.endpoint().release();
            }
        }
        return result;
    }

    /** A per-thread request context, reused as the proxy reuses its per-request object. */
    @State(Scope.Thread)
    public static class Request implements PickContext {

        private static final int KEYS = 4096; // a power of two: the index wraps with a mask
        private final long[] hashes = new long[KEYS];
        private int next;
        private long hash;
        private boolean hasHash;
        /** The end-of-request clock reading a caller passes to release: 1 ms apart, so every sample blends. */
        private long clock;

        @Setup(Level.Trial)
        public void setUp() {
            SplittableRandom random = new SplittableRandom();
            for (int i = 0; i < KEYS; i++) {
                hashes[i] = HashKeys.hash("session-" + random.nextLong());
            }
            clock = System.nanoTime();
        }

        long clock() {
            return clock += 1_000_000;
        }

        void nextKey(boolean keyed) {
            hasHash = keyed;
            hash = hashes[next++ & (KEYS - 1)];
        }

        @Override
        public long hash() {
            return hash;
        }

        @Override
        public boolean hasHash() {
            return hasHash;
        }
    }
}
