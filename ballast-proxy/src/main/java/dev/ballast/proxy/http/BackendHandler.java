package dev.ballast.proxy.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * The last handler of an upstream connection: hands what the upstream sends to the exchange that
 * currently owns the connection (an {@link UpstreamUser}), and keeps its response timeout and, once
 * the head is in, the idle timeout of the body. While the connection sits idle in the pool no
 * exchange is attached; anything the upstream sends then is a protocol error and closes the
 * connection.
 *
 * <p>The response timeout is one lazily rescheduled check per connection: deadlines usually only
 * move later (exchanges on a connection mostly have the same timeout), so a check that fires early
 * re-arms for the rest, and fast keep-alive exchanges schedule nothing new. A deadline earlier than
 * the armed check (a retry's per-try timeout cut short by the request's deadline) arms another check;
 * the later one is cancelled. A connection that closes cancels its check, else the task would hold
 * the closed channel until the timeout (up to a day) ran out.
 */
final class BackendHandler extends ChannelInboundHandlerAdapter implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(BackendHandler.class);

    private final UpstreamCodec.ResponseDecoder responses;
    private ChannelHandlerContext ctx;
    private UpstreamUser owner;
    private boolean awaitingResponse;
    private long deadlineNanos;
    /** The response head arrived and its body is still coming: the upstream must not go quiet for long. */
    private boolean receivingBody;
    private long bodyIdleNanos;
    /** Messages read so far: a check compares counts instead of reading the clock on every read. */
    private long reads;
    private long readsAtLastCheck;
    private long lastProgressNanos;
    private boolean checkScheduled;
    private long checkAtNanos;
    private ScheduledFuture<?> check;

    BackendHandler(UpstreamCodec.ResponseDecoder responses) {
        this.responses = responses;
    }

    static BackendHandler of(Channel channel) {
        return (BackendHandler) channel.pipeline().last();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelCheck(); // a tunnel took over the connection
    }

    void attach(UpstreamUser owner) {
        this.owner = owner;
    }

    void detach() {
        this.owner = null;
        this.awaitingResponse = false;
        this.receivingBody = false;
    }

    /** Starts the response timeout: the request is fully sent and nothing has come back yet. */
    void awaitResponse(long timeoutNanos) {
        if (timeoutNanos <= 0) {
            return;
        }
        awaitingResponse = true;
        deadlineNanos = System.nanoTime() + timeoutNanos;
        if (!checkScheduled || deadlineNanos - checkAtNanos < 0) {
            scheduleCheck(timeoutNanos);
        }
    }

    private void scheduleCheck(long delayNanos) {
        cancelCheck(); // a later check, superseded by this one
        checkScheduled = true;
        checkAtNanos = System.nanoTime() + delayNanos;
        check = ctx.executor().schedule(this, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void cancelCheck() {
        if (checkScheduled) {
            checkScheduled = false;
            check.cancel(false);
        }
        check = null;
    }

    /** True while a timeout check is armed: for tests. */
    boolean checkArmed() {
        return checkScheduled;
    }

    /** True when the upstream sent more than the response just ended: the connection must not be reused. */
    boolean sentBeyondTheResponse() {
        return responses.hasBytesBeyondTheResponse();
    }

    /** A response head arrived: the timeout no longer applies. */
    void responseArrived() {
        awaitingResponse = false;
    }

    /**
     * The response's body is to come: from {@code nowNanos} on, the upstream may not send nothing for
     * {@code idleNanos} while the proxy wants to read (NGINX's {@code proxy_read_timeout}).
     */
    void awaitBody(long idleNanos, long nowNanos) {
        if (idleNanos <= 0) {
            return;
        }
        receivingBody = true;
        bodyIdleNanos = idleNanos;
        readsAtLastCheck = reads;
        lastProgressNanos = nowNanos;
        if (!checkScheduled || nowNanos + idleNanos - checkAtNanos < 0) {
            scheduleCheck(idleNanos);
        }
    }

    @Override
    public void run() {
        long now = System.nanoTime();
        if (!checkScheduled || checkAtNanos - now > 0) {
            return; // cancelled too late to leave the queue
        }
        checkScheduled = false;
        check = null;
        UpstreamUser current = owner;
        if (current == null) {
            return;
        }
        if (awaitingResponse) {
            long left = deadlineNanos - now;
            if (left > 0) {
                scheduleCheck(left);
                return;
            }
            awaitingResponse = false;
            current.responseTimedOut();
        } else if (receivingBody) {
            if (reads != readsAtLastCheck || !current.readingResponse()) {
                // Bytes came, or the proxy held back for a slow client: the upstream is not idling.
                readsAtLastCheck = reads;
                lastProgressNanos = now;
            }
            long left = lastProgressNanos + bodyIdleNanos - now;
            if (left > 0) {
                scheduleCheck(left);
                return;
            }
            receivingBody = false;
            current.responseStalled();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        UpstreamUser current = owner;
        if (current == null) {
            ReferenceCountUtil.release(msg);
            log.debug("{}: data from upstream on an idle connection; closing it", ctx.channel());
            ctx.close();
            return;
        }
        reads++;
        current.responseMessage(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        UpstreamUser current = owner;
        if (current != null) {
            current.backendReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        UpstreamUser current = owner;
        if (current != null && ctx.channel().isWritable()) {
            current.backendWritable();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelCheck();
        UpstreamUser current = owner;
        if (current != null) {
            detach();
            current.backendClosed(null);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        UpstreamUser current = owner;
        log.debug("{}: upstream connection failed: {}", ctx.channel(), cause.toString());
        detach();
        ctx.close();
        if (current != null) {
            current.backendClosed(cause);
        }
    }
}
