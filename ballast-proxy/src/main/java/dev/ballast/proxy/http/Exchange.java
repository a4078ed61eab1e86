package dev.ballast.proxy.http;

import dev.ballast.core.pick.PickContext;
import dev.ballast.core.pick.PickResult;
import dev.ballast.core.state.EndpointState;
import dev.ballast.proxy.config.HashKey;
import dev.ballast.proxy.upstream.ConnectCallback;
import dev.ballast.proxy.upstream.ConnectionPool;
import dev.ballast.proxy.upstream.Upstream;
import dev.ballast.proxy.upstream.UpstreamConnection;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * One request on its way through the proxy: picks an endpoint, gets a pooled connection on the
 * client's event loop, streams the request up and the response down, and gives everything back
 * exactly once (the endpoint's in-flight slot, the connection, buffered body parts).
 *
 * <p>Streaming is flow-controlled in both directions with {@code AUTO_READ} off: after a read burst
 * the writes are flushed once (write coalescing), and the next read is asked for only while the
 * other side's channel is writable; a writability change resumes reading. So a slow reader on one
 * side stops reading on the other, and the proxy holds at most about one read and one write-buffer
 * high-water mark per direction, whatever the body size.
 *
 * <p>Every method runs on the client channel's event loop, which is also the upstream connection's.
 * Failures before the response head become one {@link ProxyError}; after it they abort the client
 * connection, because a status can no longer be sent.
 */
final class Exchange implements PickContext, ConnectCallback {

    private static final Logger log = LoggerFactory.getLogger(Exchange.class);
    private static final int MAX_CONNECT_ATTEMPTS = 3;

    private final FrontendHandler frontend;
    private final ChannelHandlerContext client;
    private final HttpRequest request;
    private final String method;
    private final String uri;
    private final Upstream upstream;
    private final ConnectionPool pool;
    private final boolean clientKeepAlive;
    private final boolean clientHttp10;
    private final boolean head;
    private final boolean idempotent;
    private final long startNanos;
    /** The client waits for 100 Continue before sending its body; sent once an endpoint is picked. */
    private boolean expectContinue;
    private final boolean hasHash;
    private final long hash;

    /** Non-null while this exchange holds one in-flight slot of it. */
    private EndpointState endpoint;
    private EndpointState avoid;
    private int attempts;
    private UpstreamConnection connection;
    private BackendHandler backend;
    /** Body parts read before the upstream connection was ready; at most one read's worth. */
    private ArrayDeque<HttpContent> pending;
    private boolean requestComplete;
    private boolean requestSent;
    private boolean bodyless = true;
    private boolean replayedOnFreshConnection;
    private boolean upstreamKeepAlive;
    private boolean skippingInformational;
    private boolean responseStarted;
    private long latencyNanos = -1;
    private int status;
    private boolean closeClient;
    private boolean done;

    Exchange(FrontendHandler frontend, ChannelHandlerContext client, HttpRequest request, Upstream upstream,
             String path, String clientIp, boolean expectContinue) {
        this.frontend = frontend;
        this.client = client;
        this.request = request;
        this.method = request.method().name();
        this.uri = request.uri();
        this.upstream = upstream;
        this.pool = upstream.pool(client.channel().eventLoop());
        this.clientKeepAlive = HttpUtil.isKeepAlive(request);
        this.clientHttp10 = request.protocolVersion().equals(HttpVersion.HTTP_1_0);
        this.head = HttpMethod.HEAD.equals(request.method());
        this.idempotent = isIdempotent(request.method());
        this.startNanos = System.nanoTime();
        this.expectContinue = expectContinue;
        HashKey hashKey = upstream.config().hashKey();
        String key = hashKey == null ? null : RequestHash.key(hashKey, request, path, clientIp);
        this.hasHash = key != null;
        this.hash = key == null ? 0 : RequestHash.hash(key);
        RequestRewrite.forUpstream(request, clientIp);
    }

    // ---- PickContext: the exchange is its own, so a pick allocates nothing ----

    @Override
    public long hash() {
        return hash;
    }

    @Override
    public boolean hasHash() {
        return hasHash;
    }

    @Override
    public EndpointState avoid() {
        return avoid;
    }

    // ---- request side ----

    void start() {
        pickAndConnect();
    }

    boolean requestComplete() {
        return requestComplete;
    }

    /** True when the upstream connection can take more body now; otherwise reading waits for writability. */
    boolean acceptsBody() {
        return connection != null && connection.channel().isWritable();
    }

    private void pickAndConnect() {
        attempts++;
        switch (upstream.pick(this)) {
            case PickResult.Picked picked -> {
                endpoint = picked.endpoint();
                RequestRewrite.settleHost(request, upstream.config(), endpoint);
                if (expectContinue) {
                    expectContinue = false;
                    frontend.sendContinue();
                }
                pool.acquire(endpoint, this);
            }
            case PickResult.Unavailable unavailable -> fail(ProxyError.NO_ENDPOINT, unavailable.reason().description());
        }
    }

    @Override
    public void connected(UpstreamConnection ready) {
        if (done) {
            pool.release(ready, true); // the client left while we connected; the connection is clean
            return;
        }
        connection = ready;
        backend = BackendHandler.of(ready.channel());
        backend.attach(this);
        Channel channel = ready.channel();
        channel.write(request, channel.voidPromise());
        if (replayedOnFreshConnection) {
            channel.write(LastHttpContent.EMPTY_LAST_CONTENT, channel.voidPromise());
        }
        HttpContent part;
        while (pending != null && (part = pending.poll()) != null) {
            writeUp(part);
        }
        channel.flush();
        if (requestComplete) {
            requestSent();
        }
        channel.read();
        frontend.readIfWanted();
    }

    @Override
    public void connectFailed(Throwable cause) {
        if (done) {
            return;
        }
        EndpointState failed = endpoint;
        String detail = "connect to " + failed.address() + " failed: " + describe(cause);
        log.debug("upstream {}: {}", upstream.name(), detail);
        failed.recordOutcome(true);
        releaseEndpoint();
        retryElsewhere(failed, ProxyError.CONNECT_FAILED, detail);
    }

    @Override
    public void connectionLimitReached(int limit) {
        if (done) {
            return;
        }
        EndpointState full = endpoint;
        releaseEndpoint();
        retryElsewhere(full, ProxyError.NO_ENDPOINT,
                full.address() + " has max_connections_per_endpoint (" + limit + ") open");
    }

    /** Connect failures are safe to retry for any method: the request never left the proxy. */
    private void retryElsewhere(EndpointState failed, ProxyError error, String detail) {
        int endpoints = upstream.balancer().endpoints().size();
        if (attempts < Math.min(MAX_CONNECT_ATTEMPTS, endpoints)) {
            avoid = failed;
            pickAndConnect();
        } else {
            fail(error, detail);
        }
    }

    /** A body part from the client. */
    void requestContent(HttpContent part) {
        if (done) {
            part.release();
            return;
        }
        boolean last = part instanceof LastHttpContent;
        if (last) {
            requestComplete = true;
        }
        if (part != LastHttpContent.EMPTY_LAST_CONTENT) {
            bodyless = false;
        }
        if (connection == null) {
            if (pending == null) {
                pending = new ArrayDeque<>(4);
            }
            pending.add(part);
            return;
        }
        writeUp(part);
        if (last) {
            connection.channel().flush();
            requestSent();
        }
    }

    private void writeUp(HttpContent part) {
        Channel channel = connection.channel();
        channel.write(part, channel.voidPromise());
    }

    private void requestSent() {
        requestSent = true;
        if (!responseStarted) {
            backend.awaitResponse(upstream.responseTimeoutNanos());
        }
    }

    /** The client's read burst ended: send what it brought in one flush. */
    void flushRequest() {
        if (connection != null && !requestSent) {
            connection.channel().flush();
        }
    }

    void backendWritable() {
        if (!requestComplete) {
            frontend.readIfWanted();
        }
    }

    /** The body was rejected mid-stream (too large, malformed). */
    void rejectBody(ProxyError error, String detail) {
        fail(error, detail);
    }

    // ---- response side ----

    void responseMessage(Object msg) {
        if (done) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse response) {
            responseHead(response);
        } else if (msg instanceof HttpContent part) {
            responseContent(part);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void responseHead(HttpResponse response) {
        if (response.decoderResult().isFailure()) {
            ReferenceCountUtil.release(response);
            upstreamFailed("invalid response: " + describe(response.decoderResult().cause()));
            return;
        }
        if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
            // 1xx (e.g. 103 Early Hints) are not forwarded: the client never asked to continue, we did.
            skippingInformational = true;
            ReferenceCountUtil.release(response);
            return;
        }
        backend.responseArrived();
        latencyNanos = System.nanoTime() - startNanos;
        status = response.status().code();
        upstreamKeepAlive = HttpUtil.isKeepAlive(response);
        HttpHeaders headers = response.headers();
        HopByHop.strip(headers);
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        boolean noBody = head || status == 204 || status == 304;
        if (!noBody && !headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            if (clientHttp10) {
                closeClient = true; // HTTP/1.0 has no chunked: the end of the body is the close
            } else {
                headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            }
        }
        if (!clientKeepAlive || frontend.draining()) {
            closeClient = true;
        }
        if (closeClient) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (clientHttp10) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        responseStarted = true;
        if (response instanceof LastHttpContent last) {
            finish(last);
        } else {
            client.write(response, client.voidPromise());
        }
    }

    private void responseContent(HttpContent part) {
        if (skippingInformational) {
            part.release();
            if (part instanceof LastHttpContent) {
                skippingInformational = false;
            }
            return;
        }
        if (part.decoderResult().isFailure()) {
            part.release();
            upstreamFailed("invalid response body: " + describe(part.decoderResult().cause()));
            return;
        }
        if (part instanceof LastHttpContent last) {
            finish(last);
        } else {
            client.write(part, client.voidPromise());
        }
    }

    /** The upstream's read burst ended: flush to the client, and read on only while it keeps up. */
    void backendReadComplete() {
        client.flush();
        if (!done && client.channel().isWritable()) {
            connection.channel().read();
        }
    }

    /** The client drained its write buffer: resume reading the response. */
    void clientWritable() {
        if (!done && connection != null) {
            connection.channel().read();
        }
    }

    private void finish(LastHttpContent last) {
        done = true;
        if (!requestComplete) {
            closeClient = true; // the upstream answered before the whole body came: the rest is unread
        }
        // Reuse only a connection whose exchange ended cleanly on both sides.
        boolean reusable = upstreamKeepAlive && requestSent;
        giveBackConnection(reusable);
        endpoint.recordOutcome(status >= 500);
        releaseEndpoint();
        if (closeClient) {
            client.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
        } else {
            client.writeAndFlush(last, client.voidPromise());
        }
        frontend.exchangeFinished(this, !closeClient);
    }

    void responseTimedOut() {
        fail(ProxyError.RESPONSE_TIMEOUT, "no response header within "
                + TimeUnit.NANOSECONDS.toMillis(upstream.responseTimeoutNanos()) + "ms from " + connection.endpoint().address());
    }

    /** The upstream connection closed or failed while this exchange owned it. */
    void backendClosed(Throwable cause) {
        if (done) {
            return;
        }
        UpstreamConnection lost = connection;
        if (!responseStarted && lost.isReused() && idempotent && requestComplete && bodyless && !replayedOnFreshConnection) {
            // The server closed a pooled connection as we reused it (the keep-alive race). Nothing was
            // processed, so an idempotent request without a body goes again on a fresh connection.
            replayedOnFreshConnection = true;
            connection = null;
            backend = null;
            requestSent = false;
            pool.release(lost, false);
            pool.connect(endpoint, this);
            return;
        }
        upstreamFailed((cause == null ? "connection closed" : describe(cause))
                + (responseStarted ? " mid-response" : " before a response") + " from " + lost.endpoint().address());
    }

    private void upstreamFailed(String detail) {
        if (endpoint != null) {
            endpoint.recordOutcome(true);
        }
        fail(ProxyError.UPSTREAM_RESET, detail);
    }

    /** The client connection closed: drop the upstream side unless it already finished. */
    void clientClosed() {
        if (done) {
            return;
        }
        done = true;
        giveBackConnection(false);
        releaseEndpoint();
        releasePending();
    }

    // ---- ending ----

    private void fail(ProxyError error, String detail) {
        if (done) {
            return;
        }
        done = true;
        giveBackConnection(false);
        releaseEndpoint();
        releasePending();
        if (responseStarted) {
            log.warn("{} {} {} -> aborted: upstream {}: {}", frontend.clientIp(), method, uri, upstream.name(), detail);
            client.close();
            return;
        }
        frontend.exchangeFailed(this, error, "upstream " + upstream.name() + ": " + detail,
                !requestComplete || !clientKeepAlive);
    }

    private void giveBackConnection(boolean reusable) {
        if (connection != null) {
            backend.detach();
            pool.release(connection, reusable);
            connection = null;
            backend = null;
        }
    }

    private void releaseEndpoint() {
        if (endpoint != null) {
            if (latencyNanos >= 0) {
                endpoint.release(latencyNanos);
            } else {
                endpoint.release();
            }
            endpoint = null;
        }
    }

    private void releasePending() {
        if (pending != null) {
            HttpContent part;
            while ((part = pending.poll()) != null) {
                part.release();
            }
        }
    }

    String method() {
        return method;
    }

    String uri() {
        return uri;
    }

    private static boolean isIdempotent(HttpMethod method) {
        return method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD) || method.equals(HttpMethod.OPTIONS)
                || method.equals(HttpMethod.PUT) || method.equals(HttpMethod.DELETE) || method.equals(HttpMethod.TRACE);
    }

    static String describe(Throwable cause) {
        if (cause == null) {
            return "unknown error";
        }
        String message = cause.getMessage();
        return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message;
    }
}
