package dev.ballast.proxy.loop;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A real event loop and real sockets on 127.0.0.1: an echo server whose loop batches each pass's flushes. */
class BatchingIoHandlerTest {

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, BatchingIoHandler.around(NioIoHandler.newFactory()));
    /** Whether the echo's write was still waiting for the socket when its flush returned. */
    private final CompletableFuture<Boolean> heldInPass = new CompletableFuture<>();
    private final CompletableFuture<Boolean> heldInTask = new CompletableFuture<>();
    private Channel server;

    @AfterEach
    void stop() throws InterruptedException {
        if (server != null) {
            server.close().await(5, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }

    private int startEcho() throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline().addLast(new BatchedFlushHandler(), new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ByteBuf bytes = (ByteBuf) msg;
                                ByteBuf copy = bytes.copy();
                                heldInPass.complete(!ctx.writeAndFlush(bytes).isDone());
                                // a task runs after the pass, outside any batch: its flush goes out at once
                                ctx.executor().execute(() -> heldInTask.complete(!ctx.writeAndFlush(copy).isDone()));
                            }
                        });
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Test
    void aFlushMadeDuringAPassReachesThePeerWhenThePassEnds() throws Exception {
        int port = startEcho();
        try (Socket client = new Socket("127.0.0.1", port)) {
            client.setSoTimeout(5_000);
            client.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
            InputStream in = client.getInputStream();

            assertThat(new String(in.readNBytes(8), StandardCharsets.US_ASCII)).isEqualTo("pingping");
        }
        assertThat(heldInPass.get(5, TimeUnit.SECONDS)).as("held until the pass ended").isTrue();
        assertThat(heldInTask.get(5, TimeUnit.SECONDS)).as("a task's flush is not held").isFalse();
    }
}
