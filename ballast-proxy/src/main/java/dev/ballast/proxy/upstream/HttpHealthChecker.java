package dev.ballast.proxy.upstream;

import dev.ballast.core.config.StatusCodes;
import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.health.CheckOutcome;
import dev.ballast.core.health.HealthChecker;
import dev.ballast.proxy.http.ProxyPipeline;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * An HTTP health check on Netty: {@code GET path} on a fresh connection, passed when the status is one
 * of {@code expected_status}. A fresh connection per check (as HAProxy does) also proves that the
 * endpoint still accepts connections; {@code Connection: close} keeps the server from holding it.
 *
 * <p>Runs on the upstream's event loops and never blocks: {@link #check} starts the connect and
 * returns. The monitor's timeout cancels the future, which closes the connection.
 */
final class HttpHealthChecker implements HealthChecker {

    private static final String USER_AGENT = "ballast-health-check";

    private final Bootstrap bootstrap;
    private final String path;
    private final StatusCodes expected;
    private final Function<Endpoint, String> hostHeader;
    private final Function<Endpoint, InetSocketAddress> resolve;

    HttpHealthChecker(Bootstrap bootstrap, String path, StatusCodes expected, Function<Endpoint, String> hostHeader,
                      Function<Endpoint, InetSocketAddress> resolve) {
        this.bootstrap = bootstrap.clone().handler(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel channel) {
                channel.pipeline().addLast(new HttpClientCodec(ProxyPipeline.upstreamResponseLimits(), false, false));
            }
        });
        this.path = path;
        this.expected = expected;
        this.hostHeader = hostHeader;
        this.resolve = resolve;
    }

    @Override
    public CompletableFuture<CheckOutcome> check(Endpoint endpoint) {
        CompletableFuture<CheckOutcome> result = new CompletableFuture<>();
        ChannelFuture connect = bootstrap.connect(resolve.apply(endpoint));
        HealthChecks.closeOnCancel(result, connect);
        connect.addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                result.complete(CheckOutcome.failed("connect: " + Failures.describe(f.cause())));
                return;
            }
            Channel channel = f.channel();
            channel.pipeline().addLast(new ResponseHandler(result));
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
            request.headers()
                    .set(HttpHeaderNames.HOST, hostHeader.apply(endpoint))
                    .set(HttpHeaderNames.USER_AGENT, USER_AGENT)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            channel.writeAndFlush(request).addListener((ChannelFutureListener) written -> {
                if (!written.isSuccess()) {
                    result.complete(CheckOutcome.failed("request not sent: " + Failures.describe(written.cause())));
                    written.channel().close();
                }
            });
        });
        return result;
    }

    /** Completes the check with the first response's status, or a failure if none comes. */
    private final class ResponseHandler extends SimpleChannelInboundHandler<HttpObject> {

        private final CompletableFuture<CheckOutcome> result;

        ResponseHandler(CompletableFuture<CheckOutcome> result) {
            this.result = result;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (!(msg instanceof HttpResponse response) || response.status().code() < 200) {
                return; // body parts, or a 1xx before the real answer
            }
            if (response.decoderResult().isFailure()) {
                result.complete(CheckOutcome.failed("invalid response: "
                        + Failures.describe(response.decoderResult().cause())));
            } else {
                int status = response.status().code();
                result.complete(expected.contains(status) ? CheckOutcome.passed()
                        : CheckOutcome.failed("status " + status + " (expected: " + expected + ")"));
            }
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            result.complete(CheckOutcome.failed("connection closed before a response"));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            result.complete(CheckOutcome.failed(Failures.describe(cause)));
            ctx.close();
        }
    }
}
