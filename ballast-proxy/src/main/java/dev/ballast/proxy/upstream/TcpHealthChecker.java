package dev.ballast.proxy.upstream;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.health.CheckOutcome;
import dev.ballast.core.health.HealthChecker;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A TCP health check ({@code type: tcp}): passed when a connection opens, which is then closed at
 * once. For endpoints that speak no HTTP health endpoint; it proves the process accepts, not that it
 * answers. Non-blocking, on the upstream's event loops.
 */
final class TcpHealthChecker implements HealthChecker {

    /** The connection is closed as soon as it opens: nothing to handle. */
    @ChannelHandler.Sharable
    private static final class Nothing extends ChannelInboundHandlerAdapter {
        static final Nothing INSTANCE = new Nothing();
    }

    private final Bootstrap bootstrap;
    private final Function<Endpoint, InetSocketAddress> resolve;

    TcpHealthChecker(Bootstrap bootstrap, Function<Endpoint, InetSocketAddress> resolve) {
        this.bootstrap = bootstrap.clone().handler(Nothing.INSTANCE);
        this.resolve = resolve;
    }

    @Override
    public CompletableFuture<CheckOutcome> check(Endpoint endpoint) {
        CompletableFuture<CheckOutcome> result = new CompletableFuture<>();
        ChannelFuture connect = bootstrap.connect(resolve.apply(endpoint));
        HealthChecks.closeOnCancel(result, connect);
        connect.addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                f.channel().close();
                result.complete(CheckOutcome.passed());
            } else {
                result.complete(CheckOutcome.failed("connect: " + Failures.describe(f.cause())));
            }
        });
        return result;
    }
}
