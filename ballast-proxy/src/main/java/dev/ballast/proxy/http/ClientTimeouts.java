package dev.ballast.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * The client clocks: {@code header_read_timeout} runs from the first byte of a request (or from
 * accept) until its head is decoded, so a client that trickles headers is cut off (slowloris);
 * {@code client_idle_timeout} runs while a keep-alive connection waits for its next request;
 * {@code tunnel_idle_timeout} runs from the last byte either way through a {@link Tunnel};
 * {@code client_stall_timeout} runs from the last byte of a request body the proxy is waiting for,
 * and from the last byte the client took of what is waiting to be written to it, so that a client
 * cannot hold a request, and its upstream connection, open by going quiet mid-transfer.
 *
 * <p>Sits in front of the HTTP decoder to see raw bytes arrive. One periodic check per connection
 * instead of a timer per request: the check only compares timestamps, so keep-alive traffic
 * schedules nothing. A deadline fires up to a quarter of the shorter timeout late.
 */
final class ClientTimeouts extends ChannelInboundHandlerAdapter implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(ClientTimeouts.class);

    private enum Phase { HEADERS, BODY, BUSY, IDLE, TUNNEL }

    /** The current request head has no byte yet. */
    static final long NO_BYTE = Long.MIN_VALUE;

    private final FrontendHandler frontend;
    private final long headerTimeoutNanos;
    private final long idleTimeoutNanos;
    private final long tunnelIdleTimeoutNanos;
    private final long stallTimeoutNanos;
    private ChannelHandlerContext ctx;
    private Phase phase = Phase.HEADERS;
    private long phaseSinceNanos;
    private long firstByteNanos = NO_BYTE;
    /**
     * What was waiting to be written to the client at the last check, and since when it has not moved:
     * a client that takes no byte leaves the same bytes pending (Netty's {@code IdleStateHandler}
     * watches output the same way). Writability alone would cut off a slow reader that keeps reading,
     * and miss a stalled one whose last response fits below the high-water mark.
     */
    private Object pendingMessage;
    private long pendingBytes;
    private long pendingProgress;
    private long pendingSinceNanos;
    private ScheduledFuture<?> check;

    ClientTimeouts(FrontendHandler frontend, long headerTimeoutMillis, long idleTimeoutMillis,
                   long tunnelIdleTimeoutMillis, long stallTimeoutMillis) {
        this.frontend = frontend;
        this.headerTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(headerTimeoutMillis);
        this.idleTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(idleTimeoutMillis);
        this.tunnelIdleTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(tunnelIdleTimeoutMillis);
        this.stallTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(stallTimeoutMillis);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        phaseSinceNanos = System.nanoTime();
        long shortest = Math.min(Math.min(positiveOrMax(headerTimeoutNanos), positiveOrMax(idleTimeoutNanos)),
                Math.min(positiveOrMax(tunnelIdleTimeoutNanos), positiveOrMax(stallTimeoutNanos)));
        if (shortest != Long.MAX_VALUE) {
            long period = Math.max(TimeUnit.MILLISECONDS.toNanos(5), shortest / 4);
            check = ctx.executor().scheduleAtFixedRate(this, period, period, TimeUnit.NANOSECONDS);
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (check != null) {
            check.cancel(false);
            check = null;
        }
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf bytes && phase != Phase.TUNNEL && phase != Phase.BODY
                && UpstreamCodec.onlyLineEnds(bytes)) {
            // Empty lines before a request line are ignored (RFC 9112 §2.2; some clients send one after
            // a POST's body): they begin no request, so no header clock, and no 408 for a request
            // that never came.
            ctx.fireChannelRead(msg);
            return;
        }
        if (phase == Phase.IDLE) {
            phase = Phase.HEADERS; // the first byte of the next request
            phaseSinceNanos = System.nanoTime();
            firstByteNanos = phaseSinceNanos;
        } else if (phase == Phase.HEADERS && firstByteNanos == NO_BYTE) {
            firstByteNanos = System.nanoTime(); // the first request of the connection
        } else if (phase == Phase.TUNNEL || phase == Phase.BODY) {
            phaseSinceNanos = System.nanoTime();
        } else if (phase == Phase.BUSY && firstByteNanos == NO_BYTE) {
            firstByteNanos = System.nanoTime(); // the next request began while this one is served
        }
        ctx.fireChannelRead(msg);
    }

    /** A request head was decoded: no client clock runs until its response is done. */
    void requestStarted() {
        phase = Phase.BUSY;
        firstByteNanos = NO_BYTE;
    }

    /** The request has a body still to come: the client owes its bytes. */
    void awaitingBody() {
        phase = Phase.BODY;
        phaseSinceNanos = System.nanoTime();
    }

    /**
     * A response is done and the connection waits for the next request, or for the rest of its head
     * when some of it came meanwhile: that head gets {@code header_read_timeout} from now, not the
     * idle clock.
     */
    void connectionIdle() {
        phase = firstByteNanos == NO_BYTE ? Phase.IDLE : Phase.HEADERS;
        phaseSinceNanos = System.nanoTime();
    }

    /**
     * Waiting for a next request after serving one, with no byte of it yet: the state in which a
     * client expects a keep-alive connection may close (RFC 9112 §9.6), unlike a new connection it
     * has just opened or one whose request head is on its way.
     */
    boolean idleBetweenRequests() {
        return phase == Phase.IDLE;
    }

    /** {@code client_stall_timeout}: how long a peer may take no byte of what it is sent; 0 when off. */
    long stallTimeoutNanos() {
        return stallTimeoutNanos;
    }

    /** {@code tunnel_idle_timeout}; 0 when off. */
    long tunnelIdleTimeoutNanos() {
        return tunnelIdleTimeoutNanos;
    }

    /** The connection became a tunnel: from now on only {@code tunnel_idle_timeout} applies. */
    void tunnelOpened() {
        phase = Phase.TUNNEL;
        phaseSinceNanos = System.nanoTime();
    }

    /** Bytes went through the tunnel towards the client. */
    void tunnelActive() {
        phaseSinceNanos = System.nanoTime();
    }

    @Override
    public void run() {
        long now = System.nanoTime();
        if (writeStalled(now)) {
            phase = Phase.BUSY;
            log.info("{}: the client took no byte of its response for client_stall_timeout; closing", ctx.channel());
            frontend.closeCuttingShort(CutShort.CLIENT_TIMEOUT);
            return;
        }
        long waited = now - phaseSinceNanos;
        if (phase == Phase.BODY && stallTimeoutNanos > 0 && waited >= stallTimeoutNanos) {
            if (frontend.bodyStalled()) {
                phase = Phase.BUSY;
            } else {
                phaseSinceNanos = now; // we are not reading (the upstream is slow): not the client's stall
            }
        } else if (phase == Phase.HEADERS && headerTimeoutNanos > 0 && waited >= headerTimeoutNanos) {
            phase = Phase.BUSY;
            frontend.headerReadTimedOut(firstByteNanos);
        } else if (phase == Phase.IDLE && idleTimeoutNanos > 0 && waited >= idleTimeoutNanos) {
            phase = Phase.BUSY;
            frontend.idleTimedOut();
        } else if (phase == Phase.TUNNEL && tunnelIdleTimeoutNanos > 0 && waited >= tunnelIdleTimeoutNanos) {
            phase = Phase.BUSY;
            log.debug("{}: tunnel idle for tunnel_idle_timeout, closing", ctx.channel());
            ctx.close(); // the tunnel closes its other side
        }
    }

    /** True when bytes wait for the client and none of them has left for {@code client_stall_timeout}. */
    private boolean writeStalled(long now) {
        ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
        long bytes = out == null ? 0 : out.totalPendingWriteBytes();
        if (bytes == 0 || stallTimeoutNanos <= 0) {
            pendingMessage = null;
            pendingBytes = 0;
            return false;
        }
        Object message = out.current();
        long progress = out.currentProgress();
        if (message != pendingMessage || bytes != pendingBytes || progress != pendingProgress) {
            pendingMessage = message;
            pendingBytes = bytes;
            pendingProgress = progress;
            pendingSinceNanos = now;
            return false;
        }
        return now - pendingSinceNanos >= stallTimeoutNanos;
    }

    private static long positiveOrMax(long nanos) {
        return nanos > 0 ? nanos : Long.MAX_VALUE;
    }
}
