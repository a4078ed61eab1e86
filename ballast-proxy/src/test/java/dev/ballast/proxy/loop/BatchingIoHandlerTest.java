package dev.ballast.proxy.loop;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real event loops (the proxy's wrappers around NIO) and real sockets on 127.0.0.1: an echo server
 * whose connections hold their flushes.
 */
class BatchingIoHandlerTest {

    private static final byte[] PING = "ping".getBytes(StandardCharsets.US_ASCII);

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
            EventLoops.ioHandlers(NioIoHandler.newFactory(), true, 500));
    /** Whether the echo's write was still waiting for the socket when its flush returned. */
    private final CompletableFuture<Boolean> heldInPass = new CompletableFuture<>();
    private final CompletableFuture<Channel> accepted = new CompletableFuture<>();
    private Channel server;

    @AfterEach
    void stop() throws InterruptedException {
        if (server != null) {
            server.close().await(5, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }

    /** Each read takes at most {@code readSize} bytes; without {@code autoRead}, nothing is read until it is set. */
    private int startEcho(int readSize, boolean autoRead) throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(readSize).maxMessagesPerRead(16))
                .childOption(ChannelOption.AUTO_READ, autoRead)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline().addLast(new BatchedFlushHandler(), new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                heldInPass.complete(!ctx.writeAndFlush((ByteBuf) msg).isDone());
                            }
                        });
                        accepted.complete(channel);
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Test
    void aFlushMadeDuringAPassReachesThePeerWhenThePassEnds() throws Exception {
        try (Socket client = new Socket("127.0.0.1", startEcho(1024, true))) {
            client.setSoTimeout(5_000);
            client.getOutputStream().write(PING);

            assertThat(client.getInputStream().readNBytes(4)).isEqualTo(PING);
        }
        assertThat(heldInPass.get(5, TimeUnit.SECONDS)).as("held until the pass ended").isTrue();
    }

    @Test
    void aFlushMadeInATaskGoesOutAtOnce() throws Exception {
        try (Socket client = new Socket("127.0.0.1", startEcho(1024, true))) {
            client.setSoTimeout(5_000);
            Channel channel = accepted.get(5, TimeUnit.SECONDS);
            CompletableFuture<Boolean> doneAtOnce = new CompletableFuture<>();
            channel.eventLoop().execute(() -> doneAtOnce.complete(channel.writeAndFlush(Unpooled.wrappedBuffer(PING)).isDone()));

            assertThat(doneAtOnce.get(5, TimeUnit.SECONDS)).isTrue();
            assertThat(client.getInputStream().readNBytes(4)).isEqualTo(PING);
        }
    }

    @Test
    void anAnswerHeldWhenTheSameReadMeetsTheEndOfStreamIsSentBeforeTheClose() throws Exception {
        // The client's request and its end of stream are both waiting before the server reads, and a
        // read of exactly the request's size makes Netty read on, meet the end and close the
        // connection itself, in the pass that wrote (and held) the answer.
        try (Socket client = new Socket("127.0.0.1", startEcho(PING.length, false))) {
            client.setSoTimeout(5_000);
            client.getOutputStream().write(PING);
            client.shutdownOutput();
            accepted.get(5, TimeUnit.SECONDS).config().setAutoRead(true);

            assertThat(client.getInputStream().readAllBytes()).as("the answer, then the close").isEqualTo(PING);
        }
        assertThat(heldInPass.get(5, TimeUnit.SECONDS)).as("held when written").isTrue();
    }
}
