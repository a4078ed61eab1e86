package dev.ballast.proxy.upstream;

import dev.ballast.core.pick.Policies;
import dev.ballast.core.resilience.CircuitBreaker;
import dev.ballast.core.state.EndpointState;
import dev.ballast.core.time.Scheduler;
import dev.ballast.proxy.testing.NoSocketChannel;
import dev.ballast.proxy.testing.TestBackend;
import dev.ballast.proxy.testing.TestConfigs;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A pool's callbacks come on its own event loop, however the connect failed. */
class ConnectionPoolThreadTest {

    private final TestBackend backend = TestBackend.named("a");
    private final ScheduledThreadPoolExecutor control = new ScheduledThreadPoolExecutor(1);
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private Upstream upstream;

    @AfterEach
    void stop() throws Exception {
        if (upstream != null) {
            upstream.close();
        }
        control.shutdownNow();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS);
        backend.close();
    }

    @Test
    void aSocketThatCannotBeMadeIsReportedOnThePoolsOwnLoop() throws Exception {
        upstream = Upstream.create(TestConfigs.upstream("api", Policies.ROUND_ROBIN,
                List.of(TestConfigs.endpoint(backend))), group, NoSocketChannel.class, new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                    }
                }, Scheduler.of(control));
        ConnectionPool pool = upstream.pools().iterator().next();
        EndpointState endpoint = upstream.balancer().members().get(0);
        CompletableFuture<Boolean> failedOnLoop = new CompletableFuture<>();

        pool.eventLoop().execute(() -> pool.acquire(endpoint, new ConnectCallback() {
            @Override
            public void connected(UpstreamConnection connection) {
                failedOnLoop.completeExceptionally(new AssertionError("connected"));
            }

            @Override
            public void connectFailed(Throwable cause) {
                failedOnLoop.complete(pool.eventLoop().inEventLoop());
            }

            @Override
            public void connectionLimitReached(int limit) {
                failedOnLoop.completeExceptionally(new AssertionError("limit " + limit));
            }

            @Override
            public void circuitBreakerOpen(CircuitBreaker.Admission limit) {
                failedOnLoop.completeExceptionally(new AssertionError("breaker " + limit));
            }
        }));

        assertThat(failedOnLoop.get(5, TimeUnit.SECONDS)).as("connectFailed ran on the pool's loop").isTrue();
    }
}
