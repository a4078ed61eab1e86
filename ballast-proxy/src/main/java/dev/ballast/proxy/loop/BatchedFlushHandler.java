package dev.ballast.proxy.loop;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

/**
 * First in a proxy connection's pipeline: a flush made while the event loop handles a pass of ready
 * sockets waits for the pass to end ({@link FlushBatch}); any other goes out at once. However many
 * flushes a connection gets in a pass, it is flushed once.
 *
 * <p>A close or disconnect first flushes what is held, so a response written just before is sent, as
 * it would have been without the batch.
 */
public final class BatchedFlushHandler extends ChannelOutboundHandlerAdapter {

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
            return; // already due at the end of this pass
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

    /** Called by the batch as its pass ends. */
    void flushHeld() {
        if (held) {
            held = false;
            ctx.flush();
        }
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
