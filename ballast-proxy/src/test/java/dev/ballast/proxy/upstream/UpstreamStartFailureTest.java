package dev.ballast.proxy.upstream;

import dev.ballast.core.health.HealthCheckSettings;
import dev.ballast.core.health.HealthMonitor;
import dev.ballast.core.pick.Policies;
import dev.ballast.core.time.Scheduler;
import dev.ballast.proxy.config.HealthCheckConfig;
import dev.ballast.proxy.config.ResilienceConfig;
import dev.ballast.proxy.config.UpstreamConfig;
import dev.ballast.proxy.testing.TestBackend;
import dev.ballast.proxy.testing.TestConfigs;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** An upstream whose construction fails part way stops what it had started: nothing outlives it. */
class UpstreamStartFailureTest {

    private final TestBackend backend = TestBackend.named("a");
    /** The control path; a cancelled task leaves its queue, so an empty queue means nothing more will run. */
    private final ScheduledThreadPoolExecutor control = new ScheduledThreadPoolExecutor(1);
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

    UpstreamStartFailureTest() {
        control.setRemoveOnCancelPolicy(true);
    }

    @AfterEach
    void stop() throws Exception {
        control.shutdownNow();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS);
        backend.close();
    }

    @Test
    void anUpstreamThatFailsToStartStopsTheHealthChecksItHadStarted() {
        HealthCheckSettings every50ms = new HealthCheckSettings(Duration.ofMillis(50), Duration.ofSeconds(1), 1, 1,
                Duration.ZERO, 0);
        UpstreamConfig config = TestConfigs.upstream("api", Policies.ROUND_ROBIN, List.of(TestConfigs.endpoint(backend)))
                .withDnsRefresh(100)
                .withResilience(ResilienceConfig.defaults()
                        .withHealthCheck(HealthCheckConfig.http("/healthz").withSettings(every50ms)));
        // The control path takes the health checks, then refuses the DNS refresh, which starts after them.
        AtomicInteger healthTasks = new AtomicInteger();
        Scheduler refusingTheRefresh = (task, delayNanos) -> {
            if (task.getClass().getName().startsWith(DnsRefresh.class.getName())) {
                throw new IllegalStateException("no more tasks");
            }
            if (task.getClass().getName().startsWith(HealthMonitor.class.getName())) {
                healthTasks.incrementAndGet();
            }
            return Scheduler.of(control).schedule(task, delayNanos);
        };

        assertThatThrownBy(() -> Upstream.create(config, group, NioSocketChannel.class, new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel channel) {
            }
        }, refusingTheRefresh)).hasMessage("no more tasks");
        assertThat(healthTasks.get()).as("health check tasks scheduled before the failure").isPositive();

        // Without the close, each check would schedule the next, every 50 ms, for good.
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> control.getQueue().isEmpty());
        assertThat(backend.requests()).allSatisfy(request -> assertThat(request.uri()).isEqualTo("/healthz"));
    }
}
