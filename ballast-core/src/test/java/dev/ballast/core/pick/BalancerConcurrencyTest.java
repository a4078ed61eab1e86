package dev.ballast.core.pick;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.state.EndpointState;
import dev.ballast.core.state.Health;
import dev.ballast.core.testing.TestEndpoints;
import dev.ballast.core.time.Scheduler;
import dev.ballast.core.time.Ticker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Eight threads pick and release through {@link Balancer#pick} (holding a few requests, avoiding the
 * last endpoint, with and without keys) while a control thread keeps replacing the endpoint list,
 * flipping health, draining and ejection, and switching policies, and slow start rebuilds on a timer.
 * Nothing may throw, and every in-flight counter must come back to zero.
 */
class BalancerConcurrencyTest {

    private static final int PICKERS = 8;
    /** Addresses the control thread draws its lists from, so endpoints leave and come back. */
    private static final List<Endpoint> POOL = TestEndpoints.weighted(40, i -> 1 + i % 4);

    static Stream<String> ids() {
        return Policies.ids().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ids")
    void countersReturnToZeroWhileEndpointsChange(String id) throws Exception {
        run(List.of(id), 0, Duration.ofMillis(400));
    }

    @Test
    void countersReturnToZeroWhilePoliciesAndEndpointsChange() throws Exception {
        run(Policies.ids(), 3, Duration.ofSeconds(1));
    }

    private static void run(List<String> ids, int maxRequestsPerEndpoint, Duration duration) throws Exception {
        BalancerOptions options = BalancerOptions.defaults().withBoundedLoad(1.25);
        List<Policy> policies = ids.stream().map(id -> Policies.of(id, options)).toList();
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        Balancer balancer = Balancer.builder(policies.get(0))
                .ticker(Ticker.system())
                .scheduler(Scheduler.of(timer))
                .slowStart(Duration.ofMillis(50))
                .maxRequestsPerEndpoint(maxRequestsPerEndpoint)
                .build();
        balancer.setEndpoints(POOL.subList(0, 10));

        Set<EndpointState> everyState = Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        everyState.addAll(balancer.members());
        Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
        long deadline = System.nanoTime() + duration.toNanos();
        CountDownLatch started = new CountDownLatch(PICKERS + 1);
        List<Thread> threads = new ArrayList<>();
        long[] picks = new long[PICKERS];

        for (int t = 0; t < PICKERS; t++) {
            int me = t;
            threads.add(new Thread(() -> {
                try {
                    started.countDown();
                    picks[me] = pickUntil(balancer, deadline);
                } catch (Throwable e) {
                    errors.add(e);
                }
            }, "picker-" + t));
        }
        threads.add(new Thread(() -> {
            try {
                started.countDown();
                SplittableRandom random = new SplittableRandom(1);
                int policy = 0;
                while (System.nanoTime() - deadline < 0) {
                    switch (random.nextInt(4)) {
                        case 0 -> balancer.setEndpoints(randomList(random));
                        case 1 -> balancer.setPolicy(policies.get(policy = (policy + 1) % policies.size()));
                        default -> {
                            List<EndpointState> members = balancer.members();
                            if (!members.isEmpty()) {
                                EndpointState state = members.get(random.nextInt(members.size()));
                                switch (random.nextInt(3)) {
                                    case 0 -> state.setHealth(random.nextBoolean() ? Health.HEALTHY : Health.UNHEALTHY);
                                    case 1 -> state.setDraining(random.nextInt(4) == 0);
                                    default -> state.eject(System.nanoTime() + random.nextInt(20_000_000));
                                }
                                balancer.refresh();
                            }
                        }
                    }
                    synchronized (everyState) {
                        everyState.addAll(balancer.members());
                    }
                    Thread.yield();
                }
            } catch (Throwable e) {
                errors.add(e);
            }
        }, "control"));

        try {
            threads.forEach(Thread::start);
            for (Thread thread : threads) {
                thread.join(duration.toMillis() + 30_000);
                assertThat(thread.isAlive()).as(thread.getName() + " finished").isFalse();
            }
        } finally {
            threads.forEach(Thread::interrupt);
            timer.shutdownNow();
            assertThat(timer.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }

        assertThat(errors).isEmpty();
        assertThat(java.util.Arrays.stream(picks).sum()).isGreaterThan(10_000);
        assertThat(everyState).allSatisfy(state -> assertThat(state.active()).as(state.address()).isZero());
        assertThat(balancer.registry().totalActive()).isZero();
        assertLoadIndexIsIdle(balancer);
    }

    /** Picks in a loop until the deadline; returns how many succeeded. */
    private static long pickUntil(Balancer balancer, long deadline) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        Context context = new Context();
        ArrayList<EndpointState> held = new ArrayList<>();
        long picked = 0;
        while (System.nanoTime() - deadline < 0) {
            context.hash = random.nextLong(64);
            context.hasHash = random.nextBoolean();
            PickResult result = balancer.pick(context);
            switch (result) {
                case PickResult.Picked p -> {
                    picked++;
                    held.add(p.endpoint());
                    context.avoid = p.endpoint();
                }
                case PickResult.Unavailable u -> context.avoid = null;
            }
            if (held.size() > random.nextInt(4)) {
                EndpointState done = held.remove(random.nextInt(held.size()));
                if (random.nextBoolean()) {
                    done.release(random.nextLong(1_000_000, 50_000_000));
                } else {
                    done.release();
                }
            }
        }
        held.forEach(EndpointState::release);
        return picked;
    }

    /**
     * With everything released, a least-connections picker that lived through the run must see every
     * endpoint idle: released picks then go round all of them in turn.
     */
    private static void assertLoadIndexIsIdle(Balancer balancer) {
        if (!balancer.policy().id().equals(Policies.LEAST_CONNECTIONS)) {
            return;
        }
        EndpointSet set = balancer.endpoints();
        if (set.isEmpty()) {
            return;
        }
        Set<EndpointState> seen = Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        long weight = set.weight(0);
        boolean equal = set.uniformWeights();
        for (int k = 0; k < set.size(); k++) {
            EndpointState state = ((PickResult.Picked) balancer.picker().pick(PickContext.NONE)).endpoint();
            state.release();
            seen.add(state);
        }
        if (equal && weight > 0) {
            assertThat(seen).hasSize(set.size());
        }
    }

    private static List<Endpoint> randomList(SplittableRandom random) {
        List<Endpoint> list = new ArrayList<>(POOL);
        Collections.shuffle(list, new java.util.Random(random.nextLong()));
        return list.subList(0, random.nextInt(0, 25));
    }

    /** One mutable context per thread, as the proxy keeps one per request. */
    private static final class Context implements PickContext {
        long hash;
        boolean hasHash;
        EndpointState avoid;

        @Override
        public long hash() {
            return hash;
        }

        @Override
        public boolean hasHash() {
            return hasHash;
        }

        @Override
        public EndpointState avoid() {
            return avoid;
        }
    }
}
