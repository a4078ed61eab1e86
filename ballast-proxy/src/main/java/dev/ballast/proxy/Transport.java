package dev.ballast.proxy;

import dev.ballast.proxy.config.IoTransport;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;

/**
 * The I/O transport the event loops run on: the configured {@link IoTransport}, or the next one down
 * when this machine does not offer it (the log says why). The system property {@value #PROPERTY}
 * ({@code io_uring}, {@code epoll} or {@code nio}) overrides the file, e.g. to rule out a native
 * transport when chasing a problem, or to run a test suite over each.
 */
record Transport(String name, IoHandlerFactory ioHandlerFactory, Class<? extends ServerChannel> serverChannel,
                 Class<? extends SocketChannel> socketChannel) {

    static final String PROPERTY = "ballast.transport";

    private static final Logger log = LoggerFactory.getLogger(Transport.class);

    /**
     * Whether the event loops should hold each pass's flushes and do them together
     * ({@code dev.ballast.proxy.loop.FlushBatch}). Not on io_uring: it already hands a pass's writes to
     * the kernel together, and a flush done after its pass would wait for the next one to be submitted.
     */
    boolean holdsFlushes() {
        return !name.equals(IoTransport.IO_URING.id());
    }

    /** The default transport, or the property's. */
    static Transport best() {
        return of(IoTransport.DEFAULT);
    }

    /** {@code wanted} (unless the property names another), or the best one below it that works here. */
    static Transport of(IoTransport wanted) {
        IoTransport chosen = overridden().orElse(wanted);
        if (chosen == IoTransport.IO_URING) {
            if (IoUring.isAvailable()) {
                return new Transport(IoTransport.IO_URING.id(), IoUringIoHandler.newFactory(),
                        IoUringServerSocketChannel.class, IoUringSocketChannel.class);
            }
            log.warn("transport io_uring is not available here ({}): using epoll instead",
                    reason(IoUring.unavailabilityCause()));
            chosen = IoTransport.EPOLL;
        }
        if (chosen == IoTransport.EPOLL) {
            if (Epoll.isAvailable()) {
                return new Transport(IoTransport.EPOLL.id(), EpollIoHandler.newFactory(),
                        EpollServerSocketChannel.class, EpollSocketChannel.class);
            }
            log.info("transport epoll is not available here ({}): using nio instead",
                    reason(Epoll.unavailabilityCause()));
        }
        return new Transport(IoTransport.NIO.id(), NioIoHandler.newFactory(), NioServerSocketChannel.class,
                NioSocketChannel.class);
    }

    /** True when the property names the transport, whatever the configuration says. */
    static boolean chosenByProperty() {
        return overridden().isPresent();
    }

    private static Optional<IoTransport> overridden() {
        String property = System.getProperty(PROPERTY, "").strip();
        if (property.isEmpty()) {
            return Optional.empty();
        }
        Optional<IoTransport> transport = IoTransport.byId(property.toLowerCase(java.util.Locale.ROOT));
        if (transport.isEmpty()) {
            log.warn("-D{}={} is not a transport (expected: {}): ignored", PROPERTY, property,
                    String.join(", ", IoTransport.ids()));
        }
        return transport;
    }

    private static String reason(Throwable cause) {
        return cause == null ? "not Linux" : cause.getMessage() == null ? cause.toString() : cause.getMessage();
    }
}
