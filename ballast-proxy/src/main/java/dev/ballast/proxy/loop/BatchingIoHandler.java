package dev.ballast.proxy.loop;

import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.util.concurrent.ThreadAwareExecutor;

/**
 * An event loop's I/O handler that makes each pass over the ready sockets one {@link FlushBatch}:
 * the connections written during the pass are flushed as it ends, before the loop handles its tasks
 * or waits again.
 */
final class BatchingIoHandler extends ForwardingIoHandler {

    /** The loop thread's batch, looked up at the first pass (the factory runs on another thread). */
    private FlushBatch batch;

    BatchingIoHandler(IoHandler delegate) {
        super(delegate);
    }

    /** {@code factory}'s handlers, each pass a flush batch. */
    static IoHandlerFactory around(IoHandlerFactory factory) {
        return new IoHandlerFactory() {
            @Override
            public IoHandler newHandler(ThreadAwareExecutor executor) {
                return new BatchingIoHandler(factory.newHandler(executor));
            }

            @Override
            public boolean isChangingThreadSupported() {
                return false; // the batch belongs to the thread that opened it
            }
        };
    }

    @Override
    public int run(IoHandlerContext context) {
        if (batch == null) {
            batch = FlushBatch.current();
        }
        batch.open();
        try {
            return super.run(context);
        } finally {
            batch.close();
        }
    }
}
