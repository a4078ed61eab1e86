package dev.ballast.proxy.http;

import dev.ballast.core.internal.Printable;
import dev.ballast.core.outlier.Outcome;
import dev.ballast.core.pick.EndpointSet;
import dev.ballast.core.pick.PickContext;
import dev.ballast.core.pick.PickResult;
import dev.ballast.core.pick.Rng;
import dev.ballast.core.resilience.CircuitBreaker;
import dev.ballast.core.resilience.RetryPolicy;
import dev.ballast.core.state.EndpointState;
import dev.ballast.proxy.upstream.ConnectCallback;
import dev.ballast.proxy.upstream.ConnectionPool;
import dev.ballast.proxy.upstream.Failures;
import dev.ballast.proxy.upstream.Upstream;
import dev.ballast.proxy.upstream.UpstreamConnection;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ScheduledFuture;
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
 *
 * <p>A request may take several tries, each on another endpoint when one is eligible: a try that
 * cannot connect, is reset, times out ({@code per_try_timeout}) or answers a status of {@code
 * retry_on} goes again if the upstream's {@link RetryPolicy} allows it (idempotent, or nothing of the
 * body sent yet; connect failures always), the retry budget has room (connect failures are outside
 * it), and the body sent so far is still kept ({@link RequestReplay}); after a full-jitter backoff
 * scheduled on the event loop (a connect failure goes again at once). Every
 * try's outcome feeds outlier detection. The whole request holds one {@code max_requests} slot of the
 * circuit breaker, and the response says how many tries it took in {@code x-ballast-attempts}.
 *
 * <p>A request that asks to switch protocols ({@code Connection: upgrade}) and gets a 101 ends as HTTP
 * there: both connections become a {@link Tunnel}, which keeps the endpoint's in-flight slot and the
 * breaker's slot until it closes. Other 1xx responses are forwarded to HTTP/1.1 clients.
 */
final class Exchange implements PickContext, ConnectCallback, UpstreamUser {

    private static final Logger log = LoggerFactory.getLogger(Exchange.class);
    /** Request bodies up to this size are kept for a retry; a larger body is not retried once sent. */
    static final int MAX_REPLAY_BYTES = 64 * 1024;
    static final AsciiString ATTEMPTS_HEADER = AsciiString.cached("x-ballast-attempts");
    private static final AsciiString[] ATTEMPTS_TEXT = new AsciiString[16];

    static {
        for (int i = 0; i < ATTEMPTS_TEXT.length; i++) {
            ATTEMPTS_TEXT[i] = AsciiString.cached(Integer.toString(i));
        }
    }

    private final FrontendHandler frontend;
    private final ChannelHandlerContext client;
    private final HttpRequest request;
    private final String method;
    private final String uri;
    private final Upstream upstream;
    private final ConnectionPool pool;
    private final boolean clientKeepAlive;
    /** The request announced a body (Content-Length > 0 or chunked): a failure before it was read must close. */
    private final boolean declaresBody;
    private final boolean clientHttp10;
    private final boolean head;
    private final boolean idempotent;
    private final RetryPolicy retryPolicy;
    /**
     * Keep the body to send it again: only an idempotent request may go again once its body went out,
     * as a retry, or on a fresh connection after a reused one died (the keep-alive race).
     */
    private final boolean keepForReplay;
    /** Retries are on: the body is kept on any connection, not only on a reused one. */
    private final boolean retriesOn;
    /** The client sent no Host (HTTP/1.0): each try's is the endpoint it goes to. */
    private final boolean hostless;
    /** The client waits for 100 Continue before sending its body; sent once an endpoint is picked. */
    private boolean expectContinue;
    private final boolean hasHash;
    private final long hash;
    /**
     * The client's {@code Upgrade} header when it asks to switch protocols (WebSocket, say), passed on
     * upstream; null otherwise. A 101 answer turns both connections into a {@link Tunnel}.
     */
    private final String upgrade;
    private final RequestRecord record;

    /** Non-null while this exchange holds one in-flight slot of it. */
    private EndpointState endpoint;
    /** The endpoint the last failed try went to. */
    private EndpointState avoid;
    /** Every endpoint a failed try went to, {@code avoid} included; null until the first retry. */
    private EndpointState[] failedOn;
    private int failedCount;
    /** Endpoints tried so far (picks): what {@code x-ballast-attempts} says. */
    private int attempts;
    private long tryStartNanos;
    /** Holds a {@code max_requests} slot of the circuit breaker, until {@link #end} or its tunnel closes. */
    private boolean admitted;
    /** Counts as a request in the retry budget, until {@link #endRetryAccounting}. */
    private boolean budgeted;
    /** Holds a retry budget token for the try in progress. */
    private boolean retryToken;
    /** {@code response_timeout} over all tries, from when the request was first sent. */
    private boolean deadlineSet;
    private long deadlineNanos;
    /** The try in flight was given less than {@code per_try_timeout}: what earlier tries left of response_timeout. */
    private boolean tryCutShort;
    /** Fails a retry still connecting when {@code response_timeout} passes; null when none is armed. */
    private ScheduledFuture<?> connectBound;
    /** The backoff before the retry about to be made; 0 for one that goes at once. */
    private long backoffNanos;
    private long tryTimeoutNanos;
    /** What was sent of the body, for a retry; null while nothing was kept. */
    private RequestReplay replay;
    /** Some of the request (a body part, or the end of a bodiless one) went upstream on some try. */
    private boolean bodyStarted;
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
    /**
     * The response head, held until the next message from the upstream (within the same read): when
     * that is the end of a small body, head and body leave as one message, which the encoder writes
     * as one buffer, with one pass through the client pipeline and one send.
     */
    private HttpResponse heldHead;
    private long latencyNanos = -1;
    /** When the latency sample was taken (System.nanoTime, the balancer's ticker), so release needs no clock read. */
    private long latencyEndNanos;
    private int status;
    private boolean closeClient;
    private boolean done;

    Exchange(FrontendHandler frontend, ChannelHandlerContext client, HttpRequest request, Upstream upstream,
             String path, String clientIp, boolean expectContinue, boolean chunked, boolean declaresBody,
             RequestRecord record) {
        this.frontend = frontend;
        this.client = client;
        this.request = request;
        this.method = request.method().name();
        this.uri = request.uri();
        this.upstream = upstream;
        this.pool = upstream.pool(client.channel().eventLoop());
        this.clientKeepAlive = HttpUtil.isKeepAlive(request);
        this.declaresBody = declaresBody;
        // A bodiless request is whole with its head; the frontend skips the empty end the decoder adds.
        this.requestComplete = !declaresBody;
        this.clientHttp10 = request.protocolVersion().equals(HttpVersion.HTTP_1_0);
        this.head = HttpMethod.HEAD.equals(request.method());
        this.idempotent = isIdempotent(request.method());
        this.retryPolicy = upstream.retryPolicy();
        this.keepForReplay = idempotent;
        this.retriesOn = retryPolicy.attempts() > 0;
        this.expectContinue = expectContinue;
        String key = RequestHash.key(upstream, request, path, clientIp);
        this.hasHash = key != null;
        this.hash = key == null ? 0 : RequestHash.hash(key);
        // Only a bodiless HTTP/1.1 request may switch (a WebSocket handshake is a GET); any other keeps
        // its Upgrade header stripped as hop-by-hop. Never to h2c: its HTTP2-Settings header is listed in
        // Connection, so hop-by-hop and removed, and an h2c offer without it is invalid (RFC 7540 §3.2.1).
        String asked = !declaresBody && !clientHttp10 && !frontend.draining()
                && HopByHop.asksToUpgrade(request.headers()) ? request.headers().get(HttpHeaderNames.UPGRADE) : null;
        this.upgrade = asked == null ? null : withoutH2c(asked);
        // HTTP/1.1 requires a Host (RequestHead refused one without); HTTP/1.0 may leave it out.
        this.hostless = clientHttp10 && !request.headers().contains(HttpHeaderNames.HOST);
        RequestRewrite.forUpstream(request, frontend.peerIp(), chunked, frontend.via(), frontend.fromTrustedProxy());
        if (upgrade != null) {
            request.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE)
                    .set(HttpHeaderNames.UPGRADE, upgrade);
        }
        this.record = record;
        TraceContext.propagate(request.headers(), record);
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

    @Override
    public boolean avoids(EndpointState candidate) {
        for (int i = 0; i < failedCount; i++) {
            if (failedOn[i] == candidate) {
                return true;
            }
        }
        return false;
    }

    // ---- request side ----

    void start() {
        CircuitBreaker.Admission admission = upstream.breaker().tryAcquireRequest();
        if (!admission.admitted()) {
            fail(ProxyError.CIRCUIT_OPEN, upstream.breaker().describe(admission));
            return;
        }
        admitted = true;
        budgeted = true;
        upstream.retryBudget().requestStarted();
        pickAndConnect();
    }

    boolean requestComplete() {
        return requestComplete;
    }

    /** True when the request asks to switch protocols: its answer may turn the connection into a tunnel. */
    boolean upgrading() {
        return upgrade != null;
    }

    /**
     * True while an upgrade request waits for its answer: the client's next bytes may belong to the new
     * protocol, so they are not read (and decoded as HTTP) until the upstream has answered.
     */
    boolean awaitingUpgrade() {
        return upgrade != null && !responseStarted && !done;
    }

    /** True when the upstream connection can take more body now; otherwise reading waits for writability. */
    boolean acceptsBody() {
        return connection != null && connection.channel().isWritable();
    }

    private void pickAndConnect() {
        switch (upstream.pick(this)) {
            case PickResult.Picked picked -> {
                attempts++;
                tryStartNanos = System.nanoTime();
                replayedOnFreshConnection = false; // each try may meet the keep-alive race once
                endpoint = picked.endpoint();
                record.picked(endpoint, attempts);
                RequestRewrite.settleHost(request, upstream.config(), endpoint, hostless);
                if (expectContinue) {
                    expectContinue = false;
                    frontend.sendContinue();
                }
                int attempt = attempts; // this try's: a connect that fails at once has picked the next already
                pool.acquire(endpoint, this);
                if (deadlineSet && connection == null && !done && attempts == attempt) {
                    boundConnect(attempt);
                }
            }
            case PickResult.Unavailable unavailable -> fail(ProxyError.NO_ENDPOINT, unavailable.reason().description());
        }
    }

    /**
     * A retry connects under {@code connect_timeout}, the pool's, which may outlast what is left of
     * {@code response_timeout}: the client gets its 504 at the deadline, not a 502 after it. The connect
     * goes on, and its connection is kept for another request.
     */
    private void boundConnect(int attempt) {
        unboundConnect(); // an earlier try's, whose connect ended in a way that armed no other
        long left = deadlineNanos - System.nanoTime();
        if (left >= TimeUnit.MILLISECONDS.toNanos(upstream.config().connectTimeoutMillis())) {
            return; // connect_timeout ends the connect first
        }
        connectBound = client.channel().eventLoop().schedule(() -> {
            connectBound = null;
            if (!done && connection == null && attempts == attempt && endpoint != null) {
                String address = endpoint.address();
                releaseEndpoint();
                record.sentNowhere();
                fail(ProxyError.RESPONSE_TIMEOUT, "response_timeout reached while a retry connected to " + address);
            }
        }, Math.max(0, left), TimeUnit.NANOSECONDS);
    }

    /** The connect ended, or the exchange did: its bound goes, and with it the task's hold on this exchange. */
    private void unboundConnect() {
        ScheduledFuture<?> bound = connectBound;
        if (bound != null) {
            connectBound = null;
            bound.cancel(false);
        }
    }

    @Override
    public void connected(UpstreamConnection ready) {
        unboundConnect();
        if (done) {
            pool.release(ready, true); // the client left while we connected; the connection is clean
            return;
        }
        if (deadlinePassed()) {
            // A retry that response_timeout overtook while it backed off or connected: not sent, for
            // its answer could not be waited for, and so no fault of this endpoint's.
            pool.release(ready, true);
            releaseEndpoint();
            record.sentNowhere();
            fail(ProxyError.RESPONSE_TIMEOUT, "response_timeout reached before a retry could be sent");
            return;
        }
        connection = ready;
        backend = BackendHandler.of(ready.channel());
        backend.attach(this);
        Channel channel = ready.channel();
        if (declaresBody) {
            channel.write(request, channel.voidPromise());
            if (bodyStarted) {
                replayBody(channel); // a retry: send again what the earlier tries sent
            }
        } else {
            // head and its empty end as one message: one pass through the encoder, one buffer
            channel.write(new DefaultFullHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                    Unpooled.EMPTY_BUFFER, request.headers(), EmptyHttpHeaders.INSTANCE), channel.voidPromise());
            bodyStarted = true;
        }
        HttpContent part;
        while (pending != null && (part = pending.poll()) != null) {
            writeUp(part);
        }
        channel.flush();
        if (connection != ready) {
            return; // the flush failed at once: the exchange ended, or goes again on a fresh connection
        }
        if (requestComplete) {
            requestSent();
        }
        channel.read();
        frontend.readIfWanted();
    }

    @Override
    public void connectFailed(Throwable cause) {
        unboundConnect();
        if (done) {
            return;
        }
        EndpointState failed = endpoint;
        if (cause instanceof ChannelException) {
            // The socket could not be made on this host (no file descriptor left, say): no fault of the
            // endpoint's, and any other endpoint would meet the same.
            releaseEndpoint();
            record.sentNowhere();
            fail(ProxyError.NO_ENDPOINT, "could not open a connection to " + failed.address() + ": "
                    + describe(cause) + " (a limit of this host, not a fault of the endpoint)");
            return;
        }
        String detail = "connect to " + failed.address() + " failed: " + describe(cause);
        log.debug("upstream {}: {}", upstream.name(), detail);
        upstream.outliers().record(failed, Outcome.CONNECT_FAILURE);
        releaseEndpoint();
        retryOrFail(RetryPolicy.Condition.CONNECT_FAILURE, failed, ProxyError.CONNECT_FAILED, detail);
    }

    @Override
    public void connectionLimitReached(int limit) {
        unboundConnect();
        if (done) {
            return;
        }
        EndpointState full = endpoint;
        releaseEndpoint();
        record.sentNowhere(); // a retry that picks another endpoint names that one
        // Nothing was sent, as with a connect failure; but a full endpoint is not a failing one.
        retryOrFail(RetryPolicy.Condition.CONNECT_FAILURE, full, ProxyError.NO_ENDPOINT,
                full.address() + " has max_connections_per_endpoint (" + limit + ") open");
    }

    @Override
    public boolean stillWanted() {
        return !done;
    }

    @Override
    public void circuitBreakerOpen(CircuitBreaker.Admission limit) {
        unboundConnect();
        if (done) {
            return;
        }
        releaseEndpoint();
        record.sentNowhere();
        fail(ProxyError.CIRCUIT_OPEN, upstream.breaker().describe(limit));
    }

    // ---- retries ----

    /** A try failed before a response: try again if allowed, else answer with {@code error}. */
    private void retryOrFail(RetryPolicy.Condition condition, EndpointState failed, ProxyError error, String detail) {
        boolean connectFailure = condition == RetryPolicy.Condition.CONNECT_FAILURE;
        String refusal = retryRefusal(retryPolicy.onFailure(condition, method, bodyStarted, attempts), !connectFailure);
        if (refusal == null) {
            log.debug("upstream {}: {} {}: retrying after: {}", upstream.name(), method, uri, detail);
            retry(failed);
            return;
        }
        ProxyError answer = error;
        String prefix = "";
        EndpointSet spread = upstream.balancer().endpoints();
        if (error == ProxyError.CONNECT_FAILED && spread.panic() && noneEligible(spread)) {
            answer = ProxyError.NO_ENDPOINT; // every endpoint is down: unavailable, not a bad gateway
            prefix = "every endpoint is unhealthy or ejected (panic mode); last try: ";
        }
        fail(answer, prefix + detail + (attempts > 1 ? " (after " + attempts + " tries)" : "")
                + (refusal.isEmpty() ? "" : "; not retried: " + refusal));
    }

    /**
     * Null when the try that just failed may be retried, and then holds a budget token for the retry
     * if it is {@code budgeted}; otherwise why not (empty when the failure is simply not in {@code
     * retry_on}).
     *
     * <p>A connect failure is retried outside the budget: the budget bounds how much retries multiply
     * the load on the endpoints, and a try that could not connect reached no application, so its retry
     * adds none.
     */
    private String retryRefusal(RetryPolicy.Decision decision, boolean budgeted) {
        if (!decision.retry()) {
            return decision == RetryPolicy.Decision.NOT_RETRYABLE ? "" : decision.description();
        }
        if (!replayable()) {
            return "request body larger than the " + MAX_REPLAY_BYTES / 1024 + " KiB kept for retries";
        }
        if (deadlinePassed()) {
            return "response_timeout reached";
        }
        // Drawn now, while the answer that failed can still go to the client: a retry that could not
        // be waited for after its backoff is not made, and that answer goes on as it came.
        long delay = budgeted ? retryPolicy.backoff().delayNanos(attempts - 1, Rng.threadLocal()) : 0;
        if (delay > 0 && deadlineSet && delay >= deadlineNanos - System.nanoTime()) {
            return "its backoff (" + TimeUnit.NANOSECONDS.toMillis(delay) + "ms) would outlast response_timeout";
        }
        backoffNanos = delay;
        if (!budgeted) {
            return null; // a connect failure: the next try goes on in this one's place, and on its slot
        }
        releaseRetryToken();
        if (!upstream.retryBudget().tryAcquireRetry()) {
            return "retry budget (" + upstream.config().resilience().retries().budgetPercent() + "%) exhausted";
        }
        retryToken = true;
        return null;
    }

    /**
     * True when no endpoint of a panic mode's set (every endpoint not draining) is eligible now. Panic
     * mode alone does not say so: it begins when fewer than {@code panic_threshold} are, and spreads
     * requests over the ineligible ones too.
     */
    private static boolean noneEligible(EndpointSet panicking) {
        long now = System.nanoTime();
        for (int i = 0; i < panicking.size(); i++) { // the snapshot, read without the balancer's lock
            if (panicking.get(i).isEligible(now)) {
                return false;
            }
        }
        return true;
    }

    /** True when everything sent so far can be sent again. */
    private boolean replayable() {
        return !bodyStarted || bodyless || (replay != null && replay.intact());
    }

    /**
     * Tries another endpoint than {@code failed}, after the backoff {@link #retryRefusal} drew. A
     * connect failure goes again at once: the endpoint that refused saw nothing to recover from, and
     * waiting would only delay a request that another endpoint can serve now.
     */
    private void retry(EndpointState failed) {
        avoid = failed;
        if (failed != null && !avoids(failed)) {
            if (failedOn == null || failedCount == failedOn.length) {
                failedOn = Arrays.copyOf(failedOn == null ? new EndpointState[0] : failedOn, failedCount + 4);
            }
            failedOn[failedCount++] = failed;
        }
        long delay = backoffNanos;
        upstream.retried();
        if (delay <= 0) {
            pickAndConnect();
        } else {
            client.channel().eventLoop().schedule(this::retryNow, delay, TimeUnit.NANOSECONDS);
        }
    }

    private void retryNow() {
        if (done) {
            return;
        }
        if (deadlinePassed()) {
            fail(ProxyError.RESPONSE_TIMEOUT, "response_timeout reached during the retry's backoff");
            return;
        }
        pickAndConnect();
    }

    /** True once {@code response_timeout} has passed since the request was first sent. */
    private boolean deadlinePassed() {
        return deadlineSet && deadlineNanos - System.nanoTime() <= 0;
    }

    private void releaseRetryToken() {
        if (retryToken) {
            retryToken = false;
            upstream.retryBudget().releaseRetry();
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
            UpstreamConnection sentOn = connection;
            sentOn.channel().flush();
            if (connection == sentOn) { // else the flush failed at once, and the exchange left the connection
                requestSent();
            }
        }
    }

    private void writeUp(HttpContent part) {
        // Kept even when it is the shared empty end (a chunked body without trailers): a retry must end
        // the body too, or the upstream waits for the rest of it.
        // Once an answer started, no try sends it again; with retries off, only a reused connection's
        // death (the keep-alive race) does.
        if (keepForReplay && !responseStarted && (retriesOn || connection.isReused())) {
            if (replay == null) {
                replay = new RequestReplay(MAX_REPLAY_BYTES);
            }
            replay.keep(part);
        }
        bodyStarted = true;
        Channel channel = connection.channel();
        channel.write(part, channel.voidPromise());
    }

    /** Writes again what earlier tries sent of the body; only called when {@link #replayable()}. */
    private void replayBody(Channel channel) {
        if (replay != null) {
            replay.writeTo(channel);
        } else {
            channel.write(LastHttpContent.EMPTY_LAST_CONTENT, channel.voidPromise()); // bodiless
        }
    }

    /**
     * The whole request went upstream: the try now waits for its response header, for {@code
     * per_try_timeout} but no later than {@code response_timeout} after the request was first sent.
     */
    private void requestSent() {
        requestSent = true;
        if (!responseStarted) {
            long now = System.nanoTime();
            if (!deadlineSet) {
                deadlineSet = true;
                deadlineNanos = now + upstream.responseTimeoutNanos();
            }
            long left = deadlineNanos - now;
            long perTry = upstream.perTryTimeoutNanos();
            tryTimeoutNanos = Math.max(1, perTry > 0 ? Math.min(perTry, left) : left);
            // A retry left less than a whole try: without per_try_timeout a whole try is response_timeout,
            // which no retry has. A first try short of it is the config's doing.
            tryCutShort = attempts > 1 && left < (perTry > 0 ? perTry : upstream.responseTimeoutNanos());
            backend.awaitResponse(tryTimeoutNanos);
        }
    }

    /** The client's read burst ended: send what it brought in one flush. */
    void flushRequest() {
        if (connection != null && !requestSent) {
            connection.channel().flush();
        }
    }

    @Override
    public void backendWritable() {
        if (!requestComplete) {
            frontend.readIfWanted();
        }
    }

    /** The body was rejected mid-stream (too large, malformed). */
    void rejectBody(ProxyError error, String detail) {
        fail(error, detail, false);
    }

    /**
     * The upstream took no byte of the request body for {@code client_stall_timeout}: it stopped
     * reading and has not answered, which no other clock covers ({@code response_timeout} starts when
     * the body is sent).
     */
    void upstreamStalledOnBody(String detail) {
        EndpointState stalled = endpoint;
        if (stalled != null) {
            upstream.outliers().record(stalled, Outcome.TIMEOUT);
        }
        fail(ProxyError.RESPONSE_TIMEOUT, detail);
    }

    /** True once the upstream's response head arrived (a 1xx does not count). */
    boolean responseStarted() {
        return responseStarted;
    }

    /** True when connected and the upstream is not taking the body: its buffer towards it is full. */
    boolean upstreamBlocked() {
        return connection != null && !connection.channel().isWritable();
    }

    // ---- response side ----

    @Override
    public void responseMessage(Object msg) {
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
        int code = response.status().code();
        if (code < 100 || code > 599 || response.protocolVersion().majorVersion() != 1) {
            ReferenceCountUtil.release(response);
            upstreamFailed("invalid response: status " + code + " in " + response.protocolVersion());
            return;
        }
        if (code == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
            switchingProtocols(response);
            return;
        }
        if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
            informational(response);
            return;
        }
        if (response.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)
                && response.headers().contains(HttpHeaderNames.CONTENT_LENGTH) && !head && code != 204 && code != 304) {
            // The decoder framed it by the length (its coding is not chunked); a client or a pooled
            // connection could read it by the coding instead (RFC 9112 §6.1, §6.3): an error, not reused.
            ReferenceCountUtil.release(response);
            upstreamFailed("invalid response: both Transfer-Encoding and Content-Length");
            return;
        }
        if (retryPolicy.retriesStatus(code) && retriedStatus(response, code)) {
            return;
        }
        backend.responseArrived();
        latencyEndNanos = System.nanoTime();
        latencyNanos = latencyEndNanos - tryStartNanos;
        status = code;
        record.status(status);
        upstreamKeepAlive = HttpUtil.isKeepAlive(response);
        HttpHeaders headers = response.headers();
        boolean noBody = head || status == 204 || status == 304;
        String codings = noBody ? null : HopByHop.otherTransferCodings(headers);
        if (codings != null && clientHttp10) {
            ReferenceCountUtil.release(response);
            fail(ProxyError.UPSTREAM_RESET, "transfer coding '" + codings + "' cannot be passed to an HTTP/1.0 client");
            return;
        }
        HopByHop.strip(headers);
        headers.set(ATTEMPTS_HEADER, attemptsText(attempts));
        if (!headers.contains(HttpHeaderNames.DATE)) {
            headers.set(HttpHeaderNames.DATE, HttpDate.now()); // a proxy with a clock adds one (RFC 9110 §6.6.1)
        }
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        if (!noBody && !headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            if (clientHttp10) {
                closeClient = true; // HTTP/1.0 has no chunked: the end of the body is the close
            } else {
                // Re-chunked as it streams; any other coding stays on the body, so it stays named.
                headers.set(HttpHeaderNames.TRANSFER_ENCODING, codings == null ? HttpHeaderValues.CHUNKED
                        : codings + ", " + HttpHeaderValues.CHUNKED);
            }
        }
        if (!clientKeepAlive || frontend.draining() || !requestComplete) {
            // An answer that starts before the body is in closes the connection after it: said now, in
            // the head, which may leave before the answer ends.
            closeClient = true;
        }
        if (closeClient) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (clientHttp10) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        responseStarted = true;
        dropKeptBody(); // no try follows an answer that started: a long one must not pin the body meanwhile
        if (response instanceof LastHttpContent last) {
            finish(last);
        } else {
            heldHead = response;
            backend.awaitBody(upstream.idleTimeoutNanos(), latencyEndNanos);
        }
    }

    /** True while the proxy reads the response: not done, and the client takes what it is sent. */
    @Override
    public boolean readingResponse() {
        return !done && client.channel().isWritable();
    }

    /** The upstream sent no byte of the response body for {@code idle_timeout} while it was wanted. */
    @Override
    public void responseStalled() {
        EndpointState stalled = endpoint;
        if (stalled != null) {
            upstream.outliers().record(stalled, Outcome.TIMEOUT);
        }
        fail(ProxyError.RESPONSE_TIMEOUT, "no byte of the response body for "
                + TimeUnit.NANOSECONDS.toMillis(upstream.idleTimeoutNanos()) + "ms (idle_timeout)");
    }

    /**
     * A 1xx other than 101 is forwarded to an HTTP/1.1 client (RFC 9110 §15.2: a proxy must, unless it
     * asked for it), e.g. 103 Early Hints; never to an HTTP/1.0 one. A 100 Continue is dropped: the
     * proxy answers {@code Expect} itself and does not send it upstream. Its empty end is skipped.
     */
    private void informational(HttpResponse response) {
        skippingInformational = true;
        if (response.status().code() == HttpResponseStatus.CONTINUE.code() || clientHttp10) {
            ReferenceCountUtil.release(response);
            return;
        }
        HttpHeaders headers = response.headers();
        HopByHop.strip(headers);
        client.write(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, response.status(), Unpooled.EMPTY_BUFFER,
                headers, EmptyHttpHeaders.INSTANCE), client.voidPromise());
    }

    /**
     * 101 Switching Protocols: forwarded when the client asked to upgrade, and then both connections
     * become a {@link Tunnel} at once: whatever follows the 101's head is the new protocol's, even
     * where Netty's decoder would read a body (a Hixie-76 WebSocket handshake's 16 bytes). Without such
     * a request it is a broken upstream (its next bytes are not HTTP), answered 502.
     */
    private void switchingProtocols(HttpResponse response) {
        if (upgrade == null) {
            ReferenceCountUtil.release(response);
            upstreamFailed("101 Switching Protocols from " + endpoint.address() + " to a request that did not ask to upgrade");
            return;
        }
        String switchedTo = response.headers().get(HttpHeaderNames.UPGRADE);
        if (switchedTo == null || switchedTo.isBlank()) {
            // RFC 9110 §15.2.2: a 101 names the protocol switched to; without it the client cannot know.
            ReferenceCountUtil.release(response);
            upstreamFailed("101 Switching Protocols from " + endpoint.address() + " without an Upgrade header");
            return;
        }
        backend.responseArrived();
        status = HttpResponseStatus.SWITCHING_PROTOCOLS.code();
        record.status(status);
        // The handshake's latency is the endpoint's sample now; the tunnel's lifetime says nothing of it.
        long now = System.nanoTime();
        endpoint.observeLatency(now - tryStartNanos, now);
        upstream.outliers().record(endpoint, Outcome.ofStatus(status));
        HttpHeaders headers = response.headers();
        HopByHop.strip(headers);
        headers.remove(HttpHeaderNames.CONTENT_LENGTH); // never on a 1xx (RFC 9110 §8.6)
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        headers.set(HttpHeaderNames.UPGRADE, switchedTo);
        headers.set(ATTEMPTS_HEADER, attemptsText(attempts));
        responseStarted = true;
        client.write(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, response.status(), Unpooled.EMPTY_BUFFER,
                headers, EmptyHttpHeaders.INSTANCE), client.voidPromise());
        openTunnel();
    }

    /**
     * Hands both connections to a {@link Tunnel}. The exchange is done as HTTP: its retry budget share
     * and kept body are given back now, while the endpoint's in-flight slot and the circuit breaker's
     * request slot stay held until the tunnel closes, so least-connections sees a long-lived tunnel as
     * the load it is.
     */
    private void openTunnel() {
        done = true;
        backend.detach();
        endRetryAccounting();
        Channel channel = connection.channel();
        // The tunnel owns the connection now and closes it, after flushing what it holds; the pool
        // counts it until then through its close future.
        connection = null;
        backend = null;
        frontend.tunnelOpened(this);
        Tunnel.open(client, channel, frontend.timeouts(), this::tunnelClosed);
    }

    /** The tunnel closed: give back what the request still held and report it, with the bytes each way. */
    private void tunnelClosed(long bytesFromClient, long bytesToClient) {
        releaseEndpoint();
        releaseBreakerSlot();
        frontend.tunnelClosed(bytesFromClient, bytesToClient);
    }

    /** Writes the held response head, if any, ahead of its first body part. */
    private void writeHeldHead() {
        if (heldHead != null) {
            client.write(heldHead, client.voidPromise());
            heldHead = null;
        }
    }

    /**
     * A status of {@code retry_on} arrived: if the try may go again, drops this response (closing its
     * connection, the rest of it unread) and retries; false to forward it to the client.
     */
    private boolean retriedStatus(HttpResponse response, int code) {
        if (retryRefusal(retryPolicy.onStatus(code, method, bodyStarted, attempts), true) != null) {
            return false;
        }
        ReferenceCountUtil.release(response);
        EndpointState failed = endpoint;
        upstream.outliers().record(failed, Outcome.ofStatus(code));
        log.debug("upstream {}: {} {}: retrying after status {} from {}", upstream.name(), method, uri, code,
                failed.address());
        giveBackConnection(false);
        releaseEndpoint();
        requestSent = false;
        retry(failed);
        return true;
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
            HopByHop.stripTrailers(last.trailingHeaders());
            if (heldHead != null) {
                HttpResponse head = heldHead;
                heldHead = null;
                finish(new DefaultFullHttpResponse(head.protocolVersion(), head.status(), last.content(),
                        head.headers(), last.trailingHeaders()));
            } else {
                finish(last);
            }
        } else {
            writeHeldHead();
            record.addBytesOut(part.content().readableBytes());
            client.write(part, client.voidPromise());
        }
    }

    /** The upstream's read burst ended: flush to the client, and read on only while it keeps up. */
    @Override
    public void backendReadComplete() {
        writeHeldHead();
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
        record.addBytesOut(last.content().readableBytes());
        if (!requestComplete) {
            closeClient = true; // the upstream answered before the whole body came: the rest is unread
        }
        // Reuse only a connection whose exchange ended cleanly on both sides, with nothing unasked-for behind it.
        boolean reusable = upstreamKeepAlive && requestSent && backend != null && !backend.sentBeyondTheResponse();
        giveBackConnection(reusable);
        upstream.outliers().record(endpoint, Outcome.ofStatus(status));
        releaseEndpoint();
        end();
        if (closeClient && !requestComplete) {
            LingeringClose.after(client.channel(), client.writeAndFlush(last));
        } else if (closeClient) {
            client.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
        } else {
            client.writeAndFlush(last, client.voidPromise());
        }
        frontend.exchangeFinished(this, !closeClient);
    }

    /** The try's timeout passed without a response header. */
    @Override
    public void responseTimedOut() {
        if (done) {
            return;
        }
        EndpointState failed = endpoint;
        String detail = "no response header within " + TimeUnit.NANOSECONDS.toMillis(tryTimeoutNanos) + "ms from "
                + failed.address();
        if (tryCutShort) {
            // Left less than a whole try by response_timeout, the try had no fair chance: a failed
            // request of the endpoint's all the same (requests and failures in /status), but not one
            // that outlier detection holds against it.
            failed.recordOutcome(true);
        } else {
            upstream.outliers().record(failed, Outcome.TIMEOUT);
        }
        giveBackConnection(false);
        long now = System.nanoTime();
        endpoint.releaseTimedOut(now - tryStartNanos, now); // at least this slow: peak-ewma steers away at once
        endpoint = null;
        requestSent = false;
        retryOrFail(RetryPolicy.Condition.TIMEOUT, failed, ProxyError.RESPONSE_TIMEOUT, detail);
    }

    /** The upstream connection closed or failed while this exchange owned it. */
    @Override
    public void backendClosed(Throwable cause) {
        if (done) {
            return;
        }
        UpstreamConnection lost = connection;
        if (!responseStarted && lost.isReused() && idempotent && requestComplete && replayable()
                && !replayedOnFreshConnection) {
            // The server closed a pooled connection as we reused it (the keep-alive race). Nothing was
            // processed, so an idempotent request goes again on a fresh connection to the same
            // endpoint; not a try of its own, and not the endpoint's fault.
            replayedOnFreshConnection = true;
            giveBackConnection(false);
            requestSent = false;
            pool.connect(endpoint, this);
            return;
        }
        upstreamFailed((cause == null ? "connection closed" : describe(cause))
                + (responseStarted ? " mid-response" : " before a response") + " from " + lost.endpoint().address());
    }

    /** The upstream reset the connection or sent garbage: retried only before the response started. */
    private void upstreamFailed(String detail) {
        EndpointState failed = endpoint;
        if (failed != null) {
            upstream.outliers().record(failed, Outcome.RESET);
        }
        if (responseStarted || failed == null) {
            fail(ProxyError.UPSTREAM_RESET, detail);
            return;
        }
        giveBackConnection(false);
        releaseEndpoint();
        requestSent = false;
        retryOrFail(RetryPolicy.Condition.RESET, failed, ProxyError.UPSTREAM_RESET, detail);
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
        end();
    }

    // ---- ending ----

    private void fail(ProxyError error, String detail) {
        fail(error, detail, true);
    }

    /** {@code upstreams}: the failure is the upstream's, and the detail says which; else the client's. */
    private void fail(ProxyError error, String detail, boolean upstreams) {
        if (done) {
            return;
        }
        done = true;
        giveBackConnection(false);
        releaseEndpoint();
        releasePending();
        end();
        if (heldHead != null) {
            // The head never left: the client can still get a status instead of a cut connection.
            ReferenceCountUtil.release(heldHead);
            heldHead = null;
            responseStarted = false;
        }
        String described = upstreams ? "upstream " + upstream.name() + ": " + detail : detail;
        if (responseStarted) {
            record.cutShort(CutShort.of(error, upstreams));
            log.warn("{} {} {} -> aborted: {}", frontend.clientIp(), method, Printable.detail(uri), described);
            client.close();
            return;
        }
        // A bodiless request refused before its (empty) end was read keeps the connection: the
        // frontend skips that end. Only an unread body forces a close.
        frontend.exchangeFailed(this, error, described, (!requestComplete && declaresBody) || !clientKeepAlive,
                requestComplete);
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
                endpoint.release(latencyNanos, latencyEndNanos);
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

    /** Gives back what the whole request held: its breaker slot, its place in the retry budget, the kept body. */
    private void end() {
        unboundConnect();
        endRetryAccounting();
        releaseBreakerSlot();
    }

    /** No more tries: the kept body, the retry token and the request's share of the retry budget go back. */
    private void endRetryAccounting() {
        dropKeptBody();
        releaseRetryToken();
        if (budgeted) {
            budgeted = false;
            upstream.retryBudget().requestFinished();
        }
    }

    private void dropKeptBody() {
        if (replay != null) {
            replay.release();
            replay = null;
        }
    }

    private void releaseBreakerSlot() {
        if (admitted) {
            admitted = false;
            upstream.breaker().releaseRequest();
        }
    }

    /** Endpoints tried so far; 0 when the request never got an endpoint. */
    int attempts() {
        return attempts;
    }

    static AsciiString attemptsText(int attempts) {
        return attempts < ATTEMPTS_TEXT.length ? ATTEMPTS_TEXT[attempts] : AsciiString.of(Integer.toString(attempts));
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

    /** The protocols of an {@code Upgrade} value other than {@code h2c}, or null when none is left. */
    static String withoutH2c(String protocols) {
        StringBuilder kept = new StringBuilder(protocols.length());
        for (String protocol : protocols.split(",")) {
            String name = protocol.strip();
            if (!name.isEmpty() && !name.equalsIgnoreCase("h2c")) {
                kept.append(kept.isEmpty() ? "" : ", ").append(name);
            }
        }
        return kept.isEmpty() ? null : kept.toString();
    }

    /**
     * A failure in words fit for a response body and a log line ({@link Printable#detail}), the
     * native transport's {@code recvAddress(..) failed with error(-104): Connection reset by peer}
     * shortened to what it means.
     */
    static String describe(Throwable cause) {
        return Printable.detail(Failures.describe(cause));
    }
}
