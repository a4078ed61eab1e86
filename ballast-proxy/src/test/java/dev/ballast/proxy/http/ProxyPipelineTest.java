package dev.ballast.proxy.http;

import dev.ballast.proxy.config.LimitsConfig;
import dev.ballast.proxy.config.TrustedProxies;
import dev.ballast.proxy.config.ViaConfig;
import dev.ballast.proxy.loop.BatchedFlushHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.ImmediateEventExecutor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProxyPipelineTest {

    @Test
    void clientAndUpstreamConnectionsHoldTheirFlushesBeforeAnyOtherHandlerSeesThem() {
        ProxyPipeline proxy = new ProxyPipeline(() -> null, () -> ViaConfig.DEFAULT, () -> TrustedProxies.NONE, LimitsConfig.defaults(),
                new DefaultChannelGroup(ImmediateEventExecutor.INSTANCE), RequestObserver.NONE);
        EmbeddedChannel client = new EmbeddedChannel(proxy.clientInitializer());
        EmbeddedChannel upstream = new EmbeddedChannel(ProxyPipeline.upstreamInitializer());
        try {
            assertThat(client.pipeline().first()).isInstanceOf(BatchedFlushHandler.class);
            assertThat(upstream.pipeline().first()).isInstanceOf(BatchedFlushHandler.class);
        } finally {
            client.finishAndReleaseAll();
            upstream.finishAndReleaseAll();
        }
    }
}
