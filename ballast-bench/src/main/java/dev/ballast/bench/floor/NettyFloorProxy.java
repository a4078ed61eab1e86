package dev.ballast.bench.floor;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpServerCodec;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The floor under the proxy's cost per request: the least an HTTP/1.1 proxy on Netty's epoll transport
 * and HTTP codec can do. Not a proxy anyone should run. It is a measuring instrument for the benchmark
 * (docs/benchmarks.md, "The floor under a Netty proxy"), so that the proxy's gap to NGINX can be split
 * into what Ballast's own work costs and what Netty's codec and the JVM cost before Ballast does anything.
 *
 * <pre>java -cp ballast-bench/target/benchmarks.jar dev.ballast.bench.floor.NettyFloorProxy \
 *     PORT http|bytes BACKEND_HOST:PORT...</pre>
 *
 * <ul>
 *   <li>{@code http}: Netty's server codec in front, its client codec behind, and the decoded messages
 *       handed across unchanged. No routing, balancing per request, header rewriting, pooling, timeouts,
 *       metrics or logging: each client connection gets its own upstream connection on its own event
 *       loop, the backends taken in turn per connection.</li>
 *   <li>{@code bytes}: the same with no codec at all, a TCP relay: what the transport alone costs.</li>
 * </ul>
 * Event loops as Ballast sizes them by default (one per core), pooled buffers, writes flushed once per
 * read batch. There is no backpressure: keep to wrk-style request and response sizes.
 */
public final class NettyFloorProxy {

    private final boolean decodeHttp;
    private final List<InetSocketAddress> backends;
    private final AtomicInteger turn = new AtomicInteger();

    private NettyFloorProxy(boolean decodeHttp, List<InetSocketAddress> backends) {
        this.decodeHttp = decodeHttp;
        this.backends = backends;
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length < 3 || !(args[1].equals("http") || args[1].equals("bytes"))) {
            System.err.println("usage: NettyFloorProxy PORT http|bytes BACKEND_HOST:PORT...");
            System.exit(2);
        }
        List<InetSocketAddress> backends = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            int colon = args[i].lastIndexOf(':');
            backends.add(InetSocketAddress.createUnresolved(args[i].substring(0, colon),
                    Integer.parseInt(args[i].substring(colon + 1))));
        }
        int port = Integer.parseInt(args[0]);
        new NettyFloorProxy(args[1].equals("http"), List.copyOf(backends)).serve(port);
    }

    private void serve(int port) throws InterruptedException {
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(
                Runtime.getRuntime().availableProcessors(), EpollIoHandler.newFactory());
        Channel server = new ServerBootstrap().group(loops)
                .channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.AUTO_READ, false) // until its upstream connection is up
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel client) {
                        if (decodeHttp) {
                            client.pipeline().addLast(new HttpServerCodec());
                        }
                        client.pipeline().addLast(new ClientSide());
                    }
                })
                .bind("127.0.0.1", port).sync().channel();
        System.out.println("netty floor (" + (decodeHttp ? "http" : "bytes") + ") on 127.0.0.1:" + port
                + " over " + backends.stream().map(b -> b.getHostString() + ":" + b.getPort()).toList());
        server.closeFuture().sync();
    }

    /** Connects a new client's upstream connection, then gives way to a {@link Relay} to it. */
    private final class ClientSide extends ChannelInboundHandlerAdapter {

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel client = ctx.channel();
            InetSocketAddress backend = backends.get(Math.floorMod(turn.getAndIncrement(), backends.size()));
            new Bootstrap().group(client.eventLoop())
                    .channel(EpollSocketChannel.class)
                    .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel channel) {
                            if (decodeHttp) {
                                channel.pipeline().addLast(new HttpClientCodec());
                            }
                            channel.pipeline().addLast(new Relay(client));
                        }
                    })
                    .connect(backend.getHostString(), backend.getPort())
                    .addListener((ChannelFutureListener) connected -> {
                        if (!connected.isSuccess() || !client.isActive()) {
                            connected.channel().close();
                            client.close();
                            return;
                        }
                        client.pipeline().replace(this, "relay", new Relay(connected.channel()));
                        client.config().setAutoRead(true);
                    });
        }
    }

    /** Relays what one side reads to the other, flushing once per read batch. */
    private static final class Relay extends ChannelInboundHandlerAdapter {

        private final Channel peer;

        Relay(Channel peer) {
            this.peer = peer;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            peer.write(msg, peer.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            peer.flush();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            peer.close();
        }

        /** A reset as a load generator stops is expected: close quietly, both sides. */
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
