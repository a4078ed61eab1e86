package dev.ballast.proxy.loop;

import io.netty.channel.IoHandlerFactory;

/** What the proxy's event loops do around the transport's handling of ready sockets. */
public final class EventLoops {

    private EventLoops() {
    }

    /**
     * The transport's I/O handlers, with each pass over the ready sockets a {@link FlushBatch} when
     * {@code holdFlushes}, and, unless {@code sliceMicros} is 0, a yield of the core every slice of work
     * ({@link SlicedIoHandler}).
     */
    public static IoHandlerFactory ioHandlers(IoHandlerFactory transport, boolean holdFlushes, long sliceMicros) {
        return SlicedIoHandler.factory(holdFlushes ? BatchingIoHandler.around(transport) : transport, sliceMicros);
    }
}
