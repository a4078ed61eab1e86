package dev.ballast.proxy.loop;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * First in a proxy connection's pipeline: a flush made while the event loop handles a pass of ready
 * sockets is held in the loop's {@link FlushBatch}; any other goes out at once. However many flushes a
 * connection gets while it is held, it is flushed once.
 *
 * <p>What is held goes out before the connection closes, as it would have without the batch: before a
 * close or disconnect asked of the pipeline, and at the end of each read of the connection, because
 * when that read met the peer's end of stream Netty closes the connection right after, without
 * passing through the pipeline (a client that half-closes after its request still gets the answer).
 */
public final class BatchedFlushHandler extends ChannelDuplexHandler {

    private ChannelHandlerContext ctx;
    /** The loop thread's batch, looked up at the first flush: flushes always run on that thread. */
    private FlushBatch batch;
    private boolean held;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        if (held) {
            return; // already due when the batch is flushed
        }
        if (batch == null) {
            batch = FlushBatch.current();
        }
        if (batch.hold(this)) {
            held = true;
        } else {
            ctx.flush();
        }
    }

    /** Flushes now what is held; called by the batch, and before the connection may close. */
    void flushHeld() {
        if (held) {
            held = false;
            ctx.flush();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.fireChannelReadComplete(); // first: what the handlers after this one flush then is sent too
        flushHeld();
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        flushHeld();
        ctx.close(promise);
    }

    @Override
    public void disconnect(ChannelHandlerContext ctx, ChannelPromise promise) {
        flushHeld();
        ctx.disconnect(promise);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        flushHeld();
    }
}
