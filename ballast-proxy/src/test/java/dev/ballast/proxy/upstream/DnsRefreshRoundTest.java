package dev.ballast.proxy.upstream;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.time.Scheduler;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One round of {@link DnsRefresh}, its steps run by hand on a queue that stands for the control
 * thread: what a round does when the upstream changed between its lookups and their answers.
 */
class DnsRefreshRoundTest {

    /** The control thread: tasks wait here until the test runs them. */
    private final BlockingQueue<Runnable> control = new LinkedBlockingQueue<>();
    private final Scheduler scheduler = (task, delayNanos) -> {
        control.add(task);
        return () -> control.remove(task);
    };

    /** An upstream's side that records every question it is asked about an endpoint. */
    private static final class RecordingTarget implements DnsRefresh.Target {
        final List<Endpoint> named = new CopyOnWriteArrayList<>();
        final List<String> asked = new CopyOnWriteArrayList<>();

        @Override
        public List<Endpoint> named() {
            return new ArrayList<>(named);
        }

        @Override
        public boolean resolvesAll(Endpoint endpoint) {
            return false;
        }

        @Override
        public boolean unresolved(Endpoint endpoint) {
            asked.add("unresolved " + endpoint.address());
            return false;
        }

        @Override
        public InetSocketAddress current(Endpoint endpoint) {
            asked.add("current " + endpoint.address());
            return InetSocketAddress.createUnresolved(endpoint.host(), endpoint.port());
        }

        @Override
        public void moved(Endpoint endpoint, InetSocketAddress address) {
            asked.add("moved " + endpoint.address());
        }

        @Override
        public void resolved(Endpoint endpoint, List<InetAddress> addresses) {
            asked.add("resolved " + endpoint.address());
        }
    }

    @Test
    void answersForAnEndpointTheUpstreamDroppedDuringTheRoundAreNotApplied() throws Exception {
        RecordingTarget target = new RecordingTarget();
        Endpoint dropped = Endpoint.of("localhost", 8080);
        target.named.add(dropped);
        DnsRefresh refresh = new DnsRefresh("api", 60_000, scheduler, target);
        refresh.start();
        Runnable round = control.poll(5, TimeUnit.SECONDS);
        assertThat(round).isNotNull();
        target.asked.clear();

        round.run(); // looks the name up on a thread of its own, then hands its answers back
        Runnable apply = control.poll(10, TimeUnit.SECONDS);
        assertThat(apply).as("the round's answers, handed back to the control thread").isNotNull();
        target.named.clear(); // a reload took the endpoint out meanwhile
        apply.run();

        assertThat(target.asked).as("nothing asked of, or told to, the upstream about an endpoint it dropped")
                .isEmpty();
        refresh.close();
    }

    @Test
    void answersForAnEndpointStillNamedAreApplied() throws Exception {
        RecordingTarget target = new RecordingTarget();
        Endpoint kept = Endpoint.of("localhost", 8080);
        target.named.add(kept);
        DnsRefresh refresh = new DnsRefresh("api", 60_000, scheduler, target);
        refresh.start();
        control.poll(5, TimeUnit.SECONDS).run();
        Runnable apply = control.poll(10, TimeUnit.SECONDS);
        assertThat(apply).isNotNull();
        target.asked.clear();

        apply.run();

        assertThat(target.asked).contains("current localhost:8080", "moved localhost:8080");
        refresh.close();
    }
}
