package dev.ballast.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Three tiny HTTP servers for {@code ballast demo}, each answering every request with its own name,
 * so a newcomer sees the balancer spread requests. Not part of the proxy's data path.
 */
final class DemoBackends implements AutoCloseable {

    private final EventLoopGroup group;
    private final List<Channel> servers = new ArrayList<>();

    private DemoBackends(Transport transport, int count) {
        this.group = new MultiThreadIoEventLoopGroup(1, transport.ioHandlerFactory());
        for (int i = 1; i <= count; i++) {
            String name = "demo-" + i;
            Channel server = new ServerBootstrap()
                    .group(group)
                    .channel(transport.serverChannel())
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1024 * 1024),
                                    new Greeter(name));
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
            servers.add(server);
        }
    }

    static DemoBackends start(int count) {
        return new DemoBackends(Transport.best(), count);
    }

    /** Ports, in backend order. */
    List<Integer> ports() {
        return servers.stream().map(s -> ((InetSocketAddress) s.localAddress()).getPort()).toList();
    }

    @Override
    public void close() {
        servers.forEach(s -> s.close().syncUninterruptibly());
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static final class Greeter extends SimpleChannelInboundHandler<FullHttpRequest> {

        private final String name;

        Greeter(String name) {
            this.name = name;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            String text = "hello from " + name + " (" + request.method() + " " + request.uri() + ")\n";
            ByteBuf body = ctx.alloc().buffer(text.length());
            body.writeCharSequence(text, StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
                    .set("X-Served-By", name);
            if (HttpUtil.isKeepAlive(request)) {
                ctx.writeAndFlush(response, ctx.voidPromise());
            } else {
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
