package dev.ballast.client;

import dev.ballast.client.testing.Backend;
import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.endpoint.EndpointSource;
import dev.ballast.core.endpoint.Watch;
import dev.ballast.core.endpoint.WatchTarget;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What {@link BallastClient#discover} does with the watches it starts, whatever system they follow:
 * a source here hands its updates over on the test's command (the etcd module's tests run the same
 * path against a real etcd).
 */
class DiscoverLifecycleTest {

    private static final WatchTarget TARGET =
            new WatchTarget("service orders", List.of(URI.create("http://127.0.0.1:2379")), 1_000, "/services/orders/");

    private final Backend a = Backend.start("a");
    private final Backend b = Backend.start("b");
    private final ScriptedSource source = new ScriptedSource();

    @AfterEach
    void stop() {
        a.close();
        b.close();
    }

    @Test
    void closingTheClientClosesEveryWatchItsDiscoverStartedAndIgnoresUpdatesAfter() {
        BallastClient client = BallastClient.builder()
                .service(ServiceConfig.builder("orders").build())
                .service(ServiceConfig.builder("payments").build()).build();
        client.discover("orders", source, TARGET);
        client.discover("payments", source, TARGET);
        assertThat(source.watches).hasSize(2).allMatch(watch -> watch.started && !watch.closed);

        source.watches.get(0).update(a.address());
        assertThat(client.endpoints("orders")).extracting(EndpointStatus::address).containsExactly(a.address());

        client.close();

        assertThat(source.watches).allMatch(watch -> watch.closed);
        source.watches.get(0).update(b.address()); // a late update from a watch thread that had not stopped yet
        assertThat(client.endpoints("orders")).extracting(EndpointStatus::address).containsExactly(a.address());
    }

    @Test
    void aWatchClosedByItsCallerLeavesTheClientAndIsNotClosedAgain() {
        BallastClient client = BallastClient.builder().service(ServiceConfig.builder("orders").build()).build();
        Watch watch = client.discover("orders", source, TARGET);
        watch.close();
        assertThat(source.watches.get(0).closes).isEqualTo(1);

        client.close();

        assertThat(source.watches.get(0).closes).isEqualTo(1);
    }

    @Test
    void aServiceIsFollowedByOneWatchAtATimeNotTwoThatTakeTurns() {
        BallastClient client = BallastClient.builder().service(ServiceConfig.builder("orders").build()).build();
        try {
            Watch first = client.discover("orders", source, TARGET);

            assertThatThrownBy(() -> client.discover("orders", source, TARGET))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("service orders: a discovery watch follows it already");
            assertThat(source.watches.get(1).started).isFalse();
            assertThat(source.watches.get(1).closed).isTrue();

            first.close();
            client.discover("orders", source, TARGET);
            assertThat(source.watches.get(2).started).as("once the first is closed").isTrue();
        } finally {
            client.close();
        }
    }

    @Test
    void aClosedClientStartsNoWatch() {
        BallastClient client = BallastClient.builder().service(ServiceConfig.builder("orders").build()).build();
        client.close();

        assertThatThrownBy(() -> client.discover("orders", source, TARGET)).isInstanceOf(IllegalStateException.class);
        assertThat(source.watches).allMatch(watch -> !watch.started && watch.closed);
    }

    /** An endpoint source whose watches deliver what the test tells them to. */
    private static final class ScriptedSource implements EndpointSource {

        final List<ScriptedWatch> watches = new ArrayList<>();

        @Override
        public String system() {
            return "scripted";
        }

        @Override
        public Watch watch(WatchTarget target, Consumer<List<Endpoint>> endpoints) {
            ScriptedWatch watch = new ScriptedWatch(endpoints);
            watches.add(watch);
            return watch;
        }
    }

    private static final class ScriptedWatch implements Watch {

        private final Consumer<List<Endpoint>> endpoints;
        boolean started;
        boolean closed;
        int closes;

        ScriptedWatch(Consumer<List<Endpoint>> endpoints) {
            this.endpoints = endpoints;
        }

        void update(String... addresses) {
            endpoints.accept(Arrays.stream(addresses).map(Endpoint::parse).toList());
        }

        @Override
        public void start() {
            started = true;
        }

        @Override
        public Status status() {
            return Status.NOT_STARTED;
        }

        @Override
        public void close() {
            closed = true;
            closes++;
        }
    }
}
