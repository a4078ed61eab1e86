package dev.ballast.proxy.admin;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keeps connections from holding the admin listener, as the proxy's listeners are kept: at most
 * {@link #MAX_CONNECTIONS} open (one more is answered 503 and closed), a request must be whole within
 * {@code header_read_timeout} of its first byte (else 408 and a close), a new connection's first byte
 * within {@code header_read_timeout} too, and a connection with no request coming and no answer
 * pending closes after {@code client_idle_timeout}. First in the
 * pipeline, so it sees bytes before the decoder does. One per connection, on its event loop.
 */
final class AdminDeadlines extends ChannelInboundHandlerAdapter {

    /** Far above what dashboards, scrapers and scripts open; a flood still leaves the data path its descriptors. */
    static final int MAX_CONNECTIONS = 64;

    /** How long a refusal may take to be written before the connection is closed anyway. */
    static final long CLOSE_GRACE_MILLIS = 2_000;

    private final AtomicInteger open;
    private final long requestMillis;
    private final long idleMillis;
    /** Its own context: what it writes must not pass through the HTTP encoder after it. */
    private ChannelHandlerContext own;
    private ScheduledFuture<?> timer;
    private boolean counted;
    /** A request has begun (a byte came) and is not whole yet. */
    private boolean reading;
    /** Answers are pending: the connection waits on the proxy, not on its client. */
    private boolean answering;
    /** Bytes came while answers were pending and no whole request was made of them yet. */
    private boolean readWhileAnswering;
    /** The client does not read its answers as fast as they come: its catch-up clock runs. */
    private boolean behind;

    /**
     * @param open the admin listener's open connections, shared by all of them
     */
    AdminDeadlines(AtomicInteger open, long requestMillis, long idleMillis) {
        this.open = open;
        this.requestMillis = requestMillis;
        this.idleMillis = idleMillis;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        own = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        counted = true;
        if (open.incrementAndGet() > MAX_CONNECTIONS) {
            refuse(ctx, "503 Service Unavailable", "the admin API has " + MAX_CONNECTIONS
                    + " connections open already; close some and try again\n");
            return;
        }
        // The first request is due within header_read_timeout, not the idle time: a connection that
        // sends nothing must not keep one of the few places for long.
        arm(ctx, Math.min(requestMillis, idleMillis), false);
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (counted) {
            counted = false;
            open.decrementAndGet();
        }
        cancel();
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (answering) {
            readWhileAnswering = true; // the start of a request whose clock runs once the answers are out
        } else if (!reading) {
            reading = true;
            arm(ctx, requestMillis, true);
        }
        super.channelRead(ctx, msg);
    }

    /** A whole request was read: its answer, not the client, is awaited now. */
    void requestRead() {
        reading = false;
        readWhileAnswering = false;
        answering = true;
        if (!behind) {
            cancel(); // while behind, more requests read from the same bytes do not stop its clock
        }
    }

    /**
     * The body of a request refused for its size has been dropped to its end: the bytes that brought
     * it began no request, so the connection waits for the next one as an idle one does.
     */
    void bodyDropped() {
        reading = false;
        readWhileAnswering = false;
        if (!answering) {
            arm(own, idleMillis, false);
        }
    }

    /**
     * The client reads its answers slower than it asks: it has {@code client_idle_timeout} to catch up,
     * or the connection closes (a client that never reads would otherwise hold it for ever).
     */
    void clientBehind() {
        behind = true;
        arm(own, idleMillis, false);
    }

    /** The client caught up: the answers, not the client, are awaited again. */
    void clientCaughtUp() {
        behind = false;
        if (answering) {
            cancel();
        }
    }

    /**
     * Every answer was written: the client's turn again, with the request clock running if part of a
     * request came meanwhile. (Part of one that came in the same read as the request before it is only
     * held to the idle time.)
     */
    void answered() {
        answering = false;
        reading = readWhileAnswering;
        readWhileAnswering = false;
        arm(own, reading ? requestMillis : idleMillis, reading);
    }

    private void arm(ChannelHandlerContext ctx, long millis, boolean midRequest) {
        cancel();
        if (!ctx.channel().isActive()) {
            return; // closed: nothing to time
        }
        timer = ctx.executor().schedule(() -> expire(ctx, midRequest), millis, TimeUnit.MILLISECONDS);
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void expire(ChannelHandlerContext ctx, boolean midRequest) {
        timer = null;
        if (midRequest) {
            refuse(ctx, "408 Request Timeout", "the request was not complete within " + requestMillis + " ms\n");
        } else {
            ctx.close();
        }
    }

    /**
     * Answers from below the decoder, in bytes, and closes: once the answer is written, or after {@link
     * #CLOSE_GRACE_MILLIS} when a client that reads nothing leaves it stuck behind earlier answers.
     */
    private static void refuse(ChannelHandlerContext ctx, String status, String text) {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
                + body.length + "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n";
        ctx.writeAndFlush(Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.US_ASCII), body))
                .addListener(ChannelFutureListener.CLOSE);
        ctx.executor().schedule(() -> {
            ctx.close();
        }, CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
    }
}
