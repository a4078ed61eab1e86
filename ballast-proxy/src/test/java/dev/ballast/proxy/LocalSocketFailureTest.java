package dev.ballast.proxy;

import dev.ballast.core.outlier.OutlierDetection;
import dev.ballast.core.pick.Policies;
import dev.ballast.proxy.config.ResilienceConfig;
import dev.ballast.proxy.config.UpstreamConfig;
import dev.ballast.proxy.testing.NoSocketChannel;
import dev.ballast.proxy.testing.RawHttp;
import dev.ballast.proxy.testing.TestBackend;
import dev.ballast.proxy.testing.TestConfigs;
import dev.ballast.proxy.upstream.Upstream;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A socket that cannot be made on the proxy's own host (no file descriptor left) is the host's
 * limit, not the endpoints' fault: the client gets 503 saying so, and no endpoint is ejected.
 */
class LocalSocketFailureTest {

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

    @Test
    void aSocketTheHostCannotMakeGets503AndEjectsNoEndpoint() throws Exception {
        UpstreamConfig upstream = TestConfigs.upstream("api", Policies.ROUND_ROBIN, TestConfigs.endpoints(first, second))
                .withResilience(ResilienceConfig.defaults()
                        .withOutlierDetection(OutlierDetection.of(1, Duration.ofSeconds(30), 100)));
        Transport noSockets = new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class,
                NoSocketChannel.class);
        proxy = ProxyServer.start(TestConfigs.proxy(upstream), null, false, noSockets);

        try (RawHttp client = RawHttp.connect(proxy.listenerAddresses().get(0))) {
            for (int i = 0; i < 4; i++) {
                RawHttp.Response response = client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").read();
                assertThat(response.status()).isEqualTo(503);
                assertThat(response.text()).contains("upstream api").contains("Too many open files")
                        .contains("not a fault of the endpoint");
            }
        }
        Upstream api = proxy.upstreams().get("api");
        assertThat(api.outliers().ejectedNow()).isZero();
        assertThat(api.balancer().endpoints().panic()).isFalse();
    }
}
