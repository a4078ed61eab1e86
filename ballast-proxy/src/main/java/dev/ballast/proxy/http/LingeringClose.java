package dev.ballast.proxy.http;

import dev.ballast.proxy.loop.BatchedFlushHandler;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * Closes a client connection that is still sending a request body, without losing the answer to it:
 * once the answer is written, output is shut (the client reads the answer and then an end), and what
 * the client still sends is read and dropped until it stops or {@link #LINGER_MILLIS} pass; then the
 * connection closes. Closed at once instead, the kernel answers the unread bytes with a reset, and a
 * client still writing its body fails on the reset without reading the answer (RFC 9112 §9.6).
 */
final class LingeringClose {

    /** How long a client may go on sending after its answer: enough for a body in flight to land. */
    static final long LINGER_MILLIS = 2_000;

    private LingeringClose() {
    }

    /**
     * From now on drops what the client sends (so that an answer too large for the socket's buffers
     * is not held up by a client that reads only after sending its body); once {@code written}
     * completes, shuts output and closes after {@link #LINGER_MILLIS}, or at once if it failed.
     */
    static void after(Channel channel, ChannelFuture written) {
        if (!(channel instanceof DuplexChannel duplex)) {
            written.addListener(ChannelFutureListener.CLOSE);
            return;
        }
        // Ahead of everything that reads requests, so nothing more is read as one; but behind the flush
        // batching, whose end-of-read flush must still run: an end of stream read in the same pass
        // closes the channel without a pipeline close, and would drop an answer whose flush is held.
        ChannelHandlerContext batching = channel.pipeline().context(BatchedFlushHandler.class);
        if (batching != null) {
            channel.pipeline().addAfter(batching.name(), null, new Discard());
        } else {
            channel.pipeline().addFirst(new Discard());
        }
        channel.read();
        written.addListener(done -> {
            if (!done.isSuccess() || !channel.isActive()) {
                channel.close();
                return;
            }
            duplex.shutdownOutput().addListener(shut -> {
                if (!shut.isSuccess()) {
                    channel.close();
                }
            });
            ScheduledFuture<?> close = channel.eventLoop().schedule((Runnable) channel::close, LINGER_MILLIS,
                    TimeUnit.MILLISECONDS);
            channel.closeFuture().addListener(closed -> close.cancel(false));
        });
    }

    /** Drops what the client sends and keeps reading; its end of stream closes the connection (Netty's default). */
    private static final class Discard extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.read();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
