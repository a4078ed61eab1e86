package dev.ballast.proxy.upstream;

import dev.ballast.core.pick.Policies;
import dev.ballast.core.resilience.CircuitBreaker;
import dev.ballast.core.state.EndpointState;
import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.config.UpstreamConfig;
import dev.ballast.proxy.testing.TestBackend;
import dev.ballast.proxy.testing.TestConfigs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.ballast.proxy.testing.TestConfigs.endpoint;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** What is left of a pool, or of an endpoint's part of it, once a reload took it away: nothing kept. */
class ConnectionPoolRetiredTest {

    private final TestBackend first = TestBackend.named("first");
    private final TestBackend second = TestBackend.named("second");
    private ProxyServer proxy;

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        first.close();
        second.close();
    }

    private Upstream start(UpstreamConfig upstream) {
        proxy = ProxyServer.start(TestConfigs.proxy(upstream));
        return proxy.upstreams().get(upstream.name());
    }

    @Test
    void aConnectionMadeAfterThePoolRetiredStartsNoIdleSweepThatWouldKeepTheOldUpstreamAlive() throws Exception {
        Upstream upstream = start(TestConfigs.withIdleTimeout(
                TestConfigs.upstream("svc", Policies.ROUND_ROBIN, List.of(endpoint(first))), 1_000));
        ConnectionPool pool = upstream.pools().iterator().next();
        EndpointState endpoint = upstream.balancer().members().get(0);
        CompletableFuture<UpstreamConnection> connected = new CompletableFuture<>();

        pool.eventLoop().execute(() -> {
            pool.retire(); // a reload removed the upstream while this request was connecting
            pool.acquire(endpoint, callback(connected));
        });
        UpstreamConnection connection = connected.get(5, TimeUnit.SECONDS);

        assertThat(pool.eventLoop().submit(pool::sweeping).get(5, TimeUnit.SECONDS)).isFalse();
        pool.eventLoop().execute(() -> pool.release(connection, true));
        await().atMost(Duration.ofSeconds(5)).until(() -> !connection.channel().isOpen());
    }

    @Test
    void aLastConnectionToAnEndpointAReloadRemovedIsClosedAfterItsRequestNotKeptIdle() throws Exception {
        UpstreamConfig both = TestConfigs.upstream("svc", Policies.ROUND_ROBIN, List.of(endpoint(first), endpoint(second)));
        Upstream upstream = start(both);
        EndpointState removed = upstream.balancer().members().get(0);
        upstream.update(TestConfigs.upstream("svc", Policies.ROUND_ROBIN, List.of(endpoint(second))), NameLookups.NONE);
        ConnectionPool pool = upstream.pools().iterator().next();
        pool.eventLoop().submit(() -> { }).get(5, TimeUnit.SECONDS); // the loop forgot the removed endpoint
        CompletableFuture<UpstreamConnection> connected = new CompletableFuture<>();

        // A request in flight to it replays on a fresh connection (the keep-alive race), after the reload.
        pool.eventLoop().execute(() -> pool.connect(removed, callback(connected)));
        UpstreamConnection connection = connected.get(5, TimeUnit.SECONDS);
        pool.eventLoop().execute(() -> pool.release(connection, true));

        await().atMost(Duration.ofSeconds(5)).until(() -> !connection.channel().isOpen());
    }

    private static ConnectCallback callback(CompletableFuture<UpstreamConnection> connected) {
        return new ConnectCallback() {
            @Override
            public void connected(UpstreamConnection connection) {
                connected.complete(connection);
            }

            @Override
            public void connectFailed(Throwable cause) {
                connected.completeExceptionally(cause);
            }

            @Override
            public void connectionLimitReached(int limit) {
                connected.completeExceptionally(new IllegalStateException("limit " + limit));
            }

            @Override
            public void circuitBreakerOpen(CircuitBreaker.Admission limit) {
                connected.completeExceptionally(new IllegalStateException("breaker " + limit));
            }
        };
    }
}
