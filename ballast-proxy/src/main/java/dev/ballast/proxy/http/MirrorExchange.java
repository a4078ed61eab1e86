package dev.ballast.proxy.http;

import dev.ballast.core.outlier.Outcome;
import dev.ballast.core.pick.PickContext;
import dev.ballast.core.pick.PickResult;
import dev.ballast.core.resilience.CircuitBreaker;
import dev.ballast.core.state.EndpointState;
import dev.ballast.proxy.upstream.ConnectCallback;
import dev.ballast.proxy.upstream.ConnectionPool;
import dev.ballast.proxy.upstream.MirrorOutcome;
import dev.ballast.proxy.upstream.Upstream;
import dev.ballast.proxy.upstream.UpstreamConnection;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;

/**
 * A copy of a client's request sent to a route's {@code mirror} upstream, whose answer is read and
 * dropped. It shares the client's event loop but nothing else with the request it copies, and it
 * never holds that request back: a copy that cannot keep up is dropped instead of slowing the client.
 *
 * <p>The copy has the head the route's own upstream gets (the same {@code X-Forwarded-*} headers),
 * the mirror upstream's {@code host_header}, and {@code x-ballast-mirror: 1}, so the mirror can tell
 * copies apart (and, say, skip side effects). Its body is the client's body as it streams in, each
 * part a second reference to the same bytes. Its connection never slows the client: a copy that
 * falls more than {@link #MAX_LAG_BYTES} behind (waiting for its connection, or unread by the mirror)
 * is dropped, and the request it copies goes on unaffected.
 *
 * <p>The copy goes through the mirror upstream's balancer, circuit breaker, pool and timeouts, and
 * its outcome feeds that upstream's outlier detection, but it is never retried. How it ended is
 * counted by {@link Upstream#mirrored(MirrorOutcome)}.
 */
final class MirrorExchange implements PickContext, ConnectCallback, UpstreamUser {

    private static final Logger log = LoggerFactory.getLogger(MirrorExchange.class);
    static final AsciiString MIRROR_HEADER = AsciiString.cached("x-ballast-mirror");
    private static final AsciiString ONE = AsciiString.cached("1");
    /**
     * How far a copy's body may lag behind the request it copies, in bytes held for it (waiting for its
     * connection, or written and not yet taken by the mirror); further drops the copy.
     */
    static final int MAX_LAG_BYTES = 1024 * 1024;
    /** What a waiting part costs besides its bytes (as Netty counts a queued write): tiny chunks add up. */
    private static final int PART_OVERHEAD_BYTES = 96;

    private final Upstream upstream;
    private final RequestObserver observer;
    private final ConnectionPool pool;
    private final HttpRequest head;
    private final boolean hasBody;
    private final boolean hasHash;
    private final long hash;

    private boolean admitted;
    private EndpointState endpoint;
    private UpstreamConnection connection;
    private BackendHandler backend;
    private ArrayDeque<HttpContent> pending;
    private int pendingBytes;
    /** The client's whole body has come in (or there is none). */
    private boolean requestComplete;
    private boolean requestSent;
    private boolean sentOnFreshConnection;
    private long tryStartNanos;
    /** From the pick to the response head, as {@link Exchange} measures it; negative until the head came. */
    private long latencyNanos = -1;
    private long latencyEndNanos;
    private boolean skippingInformational;
    private int status;
    private boolean keepAlive;
    private boolean done;

    private MirrorExchange(Upstream upstream, EventLoop loop, HttpRequest request, boolean hasBody, String key,
                           RequestObserver observer) {
        this.upstream = upstream;
        this.observer = observer;
        this.pool = upstream.pool(loop);
        this.head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, request.method(), request.uri(),
                request.headers().copy());
        head.headers().set(MIRROR_HEADER, ONE);
        this.hasBody = hasBody;
        this.requestComplete = !hasBody;
        this.hasHash = key != null;
        this.hash = key == null ? 0 : RequestHash.hash(key);
    }

    /**
     * A copy of {@code request} for {@code upstream}, made from the head as it goes to the route's own
     * upstream, before that one's {@code host_header} is applied; {@link #start} sends it.
     *
     * @param hasBody  the request has a body, which the caller then hands over part by part
     * @param key      the request's key for the mirror upstream's {@code hash_key}, read from the head as
     *                 the client sent it ({@link RequestHash#key(Upstream, HttpRequest, String, String)});
     *                 null for none
     * @param observer told how a copy that reached an endpoint ended (metrics)
     */
    static MirrorExchange of(Upstream upstream, EventLoop loop, HttpRequest request, boolean hasBody, String key,
                             RequestObserver observer) {
        return new MirrorExchange(upstream, loop, request, hasBody, key, observer);
    }

    /** Drops a copy not sent yet: the request it copies was refused before it took an endpoint. */
    void drop() {
        end(MirrorOutcome.DROPPED, false);
    }

    /** Picks an endpoint and sends the copy; nothing when it was already dropped. */
    void start() {
        if (done) {
            return;
        }
        if (!upstream.breaker().tryAcquireRequest().admitted()) {
            end(MirrorOutcome.DROPPED, false);
            return;
        }
        admitted = true;
        switch (upstream.pick(this)) {
            case PickResult.Picked picked -> {
                endpoint = picked.endpoint();
                tryStartNanos = System.nanoTime();
                // One try only: a copy of a request that came without a Host has none yet (made before any).
                RequestRewrite.settleHost(head, upstream.config(), endpoint,
                        !head.headers().contains(HttpHeaderNames.HOST));
                pool.acquire(endpoint, this);
            }
            case PickResult.Unavailable unavailable -> end(MirrorOutcome.DROPPED, false);
        }
    }

    @Override
    public long hash() {
        return hash;
    }

    @Override
    public boolean hasHash() {
        return hasHash;
    }

    // ---- the request ----

    @Override
    public void connected(UpstreamConnection ready) {
        if (done) {
            pool.release(ready, true);
            return;
        }
        connection = ready;
        backend = BackendHandler.of(ready.channel());
        backend.attach(this);
        Channel channel = ready.channel();
        if (hasBody) {
            channel.write(head, channel.voidPromise());
            HttpContent part;
            while (pending != null && (part = pending.poll()) != null) {
                channel.write(part, channel.voidPromise());
            }
            pendingBytes = 0;
        } else {
            channel.write(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, head.method(), head.uri(),
                    Unpooled.EMPTY_BUFFER, head.headers(), EmptyHttpHeaders.INSTANCE), channel.voidPromise());
        }
        channel.flush();
        if (done || connection != ready) {
            return; // the flush failed at once: the copy ended, or goes again on a fresh connection
        }
        if (requestComplete) {
            requestSent();
        }
        channel.read();
    }

    @Override
    public void connectFailed(Throwable cause) {
        if (!done) {
            log.debug("mirror {}: connect to {} failed: {}", upstream.name(), endpoint.address(),
                    Exchange.describe(cause));
            if (!(cause instanceof ChannelException)) { // else no socket could be made here: not the endpoint's fault
                upstream.outliers().record(endpoint, Outcome.CONNECT_FAILURE);
            }
            end(cause instanceof ConnectTimeoutException ? MirrorOutcome.TIMEOUT : MirrorOutcome.FAILED, false);
        }
    }

    @Override
    public void connectionLimitReached(int limit) {
        end(MirrorOutcome.DROPPED, false);
    }

    @Override
    public void circuitBreakerOpen(CircuitBreaker.Admission limit) {
        end(MirrorOutcome.DROPPED, false);
    }

    @Override
    public boolean stillWanted() {
        return !done;
    }

    /** A part of the client's body: a reference of the copy's own, which it releases. */
    void requestContent(HttpContent part) {
        if (done) {
            part.release();
            return;
        }
        boolean last = part instanceof LastHttpContent;
        if (last) {
            requestComplete = true;
        }
        if (connection == null) {
            int bytes = part.content().readableBytes() + PART_OVERHEAD_BYTES;
            if (pendingBytes + bytes > MAX_LAG_BYTES) {
                part.release();
                end(MirrorOutcome.DROPPED, false);
                return;
            }
            if (pending == null) {
                pending = new ArrayDeque<>(4);
            }
            pending.add(part);
            pendingBytes += bytes;
            return;
        }
        Channel channel = connection.channel();
        if (channel.bytesBeforeWritable() > MAX_LAG_BYTES) {
            part.release(); // the mirror reads slower than the client sends: the client is not held back
            end(MirrorOutcome.DROPPED, false);
            return;
        }
        channel.write(part, channel.voidPromise());
        if (last) {
            channel.flush();
            if (!done) {
                requestSent();
            }
        }
    }

    /** The client's read burst ended: send what it brought. */
    void flush() {
        if (connection != null && !requestSent && !done) {
            connection.channel().flush();
        }
    }

    /** The client left, or its body was refused, before the whole body came: the copy cannot be finished. */
    void abandon() {
        if (!requestComplete) {
            end(MirrorOutcome.DROPPED, false);
        }
    }

    /** True once the copy has ended (answered, failed or dropped): it takes no more parts. */
    boolean ended() {
        return done;
    }

    private void requestSent() {
        requestSent = true;
        backend.awaitResponse(upstream.responseTimeoutNanos());
    }

    // ---- the answer, read and dropped ----

    @Override
    public void responseMessage(Object msg) {
        if (done) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse response) {
            boolean invalid = response.decoderResult().isFailure();
            int code = response.status().code();
            boolean whole = response instanceof LastHttpContent;
            keepAlive = HttpUtil.isKeepAlive(response);
            ReferenceCountUtil.release(response);
            if (invalid || code < 100 || code > 599 || code == 101) {
                failed("invalid response" + (invalid ? "" : ": status " + code));
            } else if (code < 200) {
                skippingInformational = !whole;
            } else {
                status = code;
                latencyEndNanos = System.nanoTime();
                latencyNanos = latencyEndNanos - tryStartNanos;
                backend.responseArrived();
                if (whole) {
                    finish();
                } else {
                    backend.awaitBody(upstream.idleTimeoutNanos(), latencyEndNanos);
                }
            }
        } else if (msg instanceof HttpContent part) {
            boolean invalid = part.decoderResult().isFailure();
            boolean last = part instanceof LastHttpContent;
            part.release();
            if (invalid) {
                failed("invalid response body");
            } else if (skippingInformational) {
                skippingInformational = !last;
            } else if (last) {
                finish();
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void backendReadComplete() {
        if (!done) {
            connection.channel().read();
        }
    }

    /** Nothing waits for it: a copy never paces the client, it is dropped when it falls behind. */
    @Override
    public void backendWritable() {
    }

    @Override
    public boolean readingResponse() {
        return !done;
    }

    private void finish() {
        boolean reusable = keepAlive && requestSent && !backend.sentBeyondTheResponse();
        upstream.outliers().record(endpoint, Outcome.ofStatus(status));
        end(MirrorOutcome.ofStatus(status), reusable);
    }

    @Override
    public void backendClosed(Throwable cause) {
        if (done) {
            return;
        }
        if (latencyNanos < 0 && connection.isReused()) {
            // The mirror closed a pooled connection as we reused it (the keep-alive race): not the
            // endpoint's fault. A bodiless copy goes again on a fresh connection, once; a copy whose
            // body went partly out cannot be sent again.
            backend.detach();
            pool.release(connection, false);
            connection = null;
            backend = null;
            if (!hasBody && !sentOnFreshConnection) {
                sentOnFreshConnection = true;
                requestSent = false;
                pool.connect(endpoint, this);
            } else {
                end(MirrorOutcome.DROPPED, false);
            }
            return;
        }
        failed(cause == null ? "connection closed" : Exchange.describe(cause));
    }

    @Override
    public void responseTimedOut() {
        timedOut();
    }

    @Override
    public void responseStalled() {
        timedOut();
    }

    private void timedOut() {
        if (!done) {
            upstream.outliers().record(endpoint, Outcome.TIMEOUT);
            end(MirrorOutcome.TIMEOUT, false);
        }
    }

    private void failed(String detail) {
        log.debug("mirror {}: {} from {}", upstream.name(), detail, endpoint.address());
        upstream.outliers().record(endpoint, Outcome.RESET);
        end(MirrorOutcome.FAILED, false);
    }

    /** Gives back everything the copy holds, once, and counts how it ended. */
    private void end(MirrorOutcome outcome, boolean reusable) {
        if (done) {
            return;
        }
        done = true;
        if (connection != null) {
            backend.detach();
            pool.release(connection, reusable);
            connection = null;
            backend = null;
        }
        if (endpoint != null) {
            if (outcome != MirrorOutcome.DROPPED) {
                int answered = switch (outcome) {
                    case FAILED -> 502;
                    case TIMEOUT -> 504;
                    default -> status;
                };
                observer.mirrored(upstream, endpoint, answered, System.nanoTime() - tryStartNanos);
            }
            if (latencyNanos >= 0) {
                endpoint.release(latencyNanos, latencyEndNanos);
            } else {
                endpoint.release();
            }
            endpoint = null;
        }
        if (pending != null) {
            HttpContent part;
            while ((part = pending.poll()) != null) {
                part.release();
            }
        }
        if (admitted) {
            admitted = false;
            upstream.breaker().releaseRequest();
        }
        upstream.mirrored(outcome);
    }
}
