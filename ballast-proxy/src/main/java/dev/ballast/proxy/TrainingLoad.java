package dev.ballast.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The clients of {@code ballast train}: keep-alive connections that each send a request as soon as
 * the last one's response is in, three small ones and then a 16 KiB one ({@code /bytes/16384} of the
 * demo backends), until the time is up.
 */
final class TrainingLoad {

    private static final String BIG = "/bytes/16384";

    /** What the clients saw. */
    record Outcome(long requests, long failures, Duration took) {
        @Override
        public String toString() {
            return requests + " requests through the proxy in " + took.toMillis() + " ms, " + failures + " failed";
        }
    }

    private TrainingLoad() {
    }

    /** Sends requests to {@code proxy} over {@code connections} connections for {@code length}. */
    static Outcome drive(InetSocketAddress proxy, int connections, Duration length) throws InterruptedException {
        Transport transport = Transport.best();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, transport.ioHandlerFactory());
        LongAdder requests = new LongAdder();
        LongAdder failures = new LongAdder();
        CountDownLatch closed = new CountDownLatch(connections);
        long start = System.nanoTime();
        long deadline = start + length.toNanos();
        String host = proxy.getHostString() + ":" + proxy.getPort();
        try {
            Bootstrap bootstrap = new Bootstrap().group(group).channel(transport.socketChannel())
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel channel) {
                            channel.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20),
                                    new Client(host, deadline, requests, failures));
                            channel.closeFuture().addListener(f -> closed.countDown());
                        }
                    });
            for (int i = 0; i < connections; i++) {
                bootstrap.connect(proxy).addListener(f -> {
                    if (!f.isSuccess()) {
                        failures.increment(); // its channel closes too, and counts down
                    }
                });
            }
            if (!closed.await(length.toSeconds() + 10, TimeUnit.SECONDS)) {
                failures.increment(); // a client that never finished
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        return new Outcome(requests.sum(), failures.sum(), Duration.ofNanos(System.nanoTime() - start));
    }

    private static final class Client extends SimpleChannelInboundHandler<FullHttpResponse> {

        private final String host;
        private final long deadline;
        private final LongAdder requests;
        private final LongAdder failures;
        private int sent;

        Client(String host, long deadline, LongAdder requests, LongAdder failures) {
            this.host = host;
            this.deadline = deadline;
            this.requests = requests;
            this.failures = failures;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            send(ctx);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            if (response.status().equals(HttpResponseStatus.OK)) {
                requests.increment();
            } else {
                failures.increment();
            }
            if (System.nanoTime() - deadline < 0) {
                send(ctx);
            } else {
                ctx.close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (System.nanoTime() - deadline < 0) {
                failures.increment(); // closed by the proxy before the time was up
            }
        }

        private void send(ChannelHandlerContext ctx) {
            String path = ++sent % 4 == 0 ? BIG : "/";
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path,
                    Unpooled.EMPTY_BUFFER);
            request.headers().set(HttpHeaderNames.HOST, host);
            ctx.writeAndFlush(request);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failures.increment();
            ctx.close();
        }
    }
}
