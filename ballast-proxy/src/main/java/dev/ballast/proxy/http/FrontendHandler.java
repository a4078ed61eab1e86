package dev.ballast.proxy.http;

import dev.ballast.core.internal.Printable;
import dev.ballast.proxy.config.TrustedProxies;
import dev.ballast.proxy.route.Mirror;
import dev.ballast.proxy.route.Route;
import dev.ballast.proxy.route.RouteRule;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * The client side of one connection: admits each request (decoder limits, route, body size,
 * {@code Expect}), hands it to an {@link Exchange}, and decides when to read from the client.
 *
 * <p>Requests are served one at a time. The decoder may hand over the head of a pipelined next
 * request in the same read burst as the current one's end; those messages wait in {@code early}
 * (bounded by one read) until the current response is done. A read that brings more requests than
 * {@link ProxyPipeline#MAX_PIPELINE_DEPTH} ends the connection gracefully: the requests taken in are
 * answered, the last answer says {@code Connection: close}, and the client sends the rest again on a
 * new connection (RFC 9112 §9.3.2).
 */
final class FrontendHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(FrontendHandler.class);

    private final ProxyPipeline proxy;
    private final ClientTimeouts timeouts;
    private ChannelHandlerContext ctx;
    /** The address the connection comes from. */
    private String clientIp = "-";
    /** The client of the request in hand: {@link #clientIp}, or who a trusted proxy forwarded it for. */
    private String requestClient = "-";
    private InetAddress peer;
    /** The {@code trusted_proxies} {@link #fromTrustedProxy} was decided against, and what it decided. */
    private TrustedProxies trustedProxiesSeen;
    private boolean fromTrustedProxy;
    private Exchange exchange;
    /** The mirrored copy of the current request while it still takes body parts; else null. */
    private MirrorExchange mirror;
    private ArrayDeque<Object> early;
    /** Request heads in {@code early}. */
    private int earlyRequests;
    /**
     * When each request head in {@code early} arrived, oldest at {@code firstArrival}: a line's time and
     * duration start there, not when its turn comes. A ring as long as the most heads {@code early} holds.
     */
    private long[] arrivals;
    private int firstArrival;
    /** The arrival of the queued head being handled now; 0 for a head handled as it arrives. */
    private long queuedArrivalNanos;
    private boolean replaying;
    /** Answered locally before the (empty) body ended: skip to its end, then serve the next request. */
    private boolean discarding;
    /** The request being read declared a body (a length or chunked): a close before its end lingers. */
    private boolean bodyDeclared;
    /** The next message is the empty end of a bodiless request that went upstream whole. */
    private boolean skipEmptyEnd;
    private boolean closing;
    /** The proxy closed the connection itself, after an unexpected error. */
    private boolean closedByProxy;
    /** The client sent more requests ahead than we take: answer those in {@code early}, then close. */
    private boolean pipelineFull;
    /** The current request is HTTP/1.0: a connection kept after our own answer must say so. */
    private boolean http10;
    private long bodyBytes;
    /** The current request's record, reused for each request of this connection. */
    private final RequestRecord record = new RequestRecord();

    FrontendHandler(ProxyPipeline proxy) {
        this.proxy = proxy;
        this.timeouts = new ClientTimeouts(this, proxy.limits().headerReadTimeoutMillis(),
                proxy.limits().clientIdleTimeoutMillis(), proxy.limits().tunnelIdleTimeoutMillis(),
                proxy.limits().clientStallTimeoutMillis());
    }

    ClientTimeouts timeouts() {
        return timeouts;
    }

    private enum Expectation { NOTHING, CONTINUE, UNMET }

    /**
     * What {@code Expect} asks for. Empty list elements are skipped wherever they are (RFC 9110 §5.6.1),
     * so {@code 100-continue,} is {@code 100-continue} and a blank value asks for nothing; the token is
     * case-insensitive (§10.1.1).
     */
    private static Expectation expectation(HttpHeaders headers) {
        Expectation asked = Expectation.NOTHING;
        for (String value : headers.getAll(HttpHeaderNames.EXPECT)) {
            for (String element : value.split(",", -1)) {
                String expectation = element.strip();
                if (expectation.equalsIgnoreCase("100-continue")) {
                    asked = Expectation.CONTINUE;
                } else if (!expectation.isEmpty()) {
                    return Expectation.UNMET;
                }
            }
        }
        return asked;
    }

    /**
     * Why the decoder refused a request head, in the request line's terms where Netty's words mislead:
     * a line of two parts is not "possibly HTTP/0.9" (which Ballast does not serve), and a third part
     * with more after it is not a version to upper-case.
     */
    private static String requestLineProblem(Throwable cause) {
        String message = cause == null ? null : cause.getMessage();
        if (message != null && message.contains("possibly HTTP/0.9")) {
            return "the request line needs a method, a target and a version, e.g. GET / HTTP/1.1";
        }
        if (message != null && message.startsWith("invalid version format")) {
            return "the request line's third part is not a version like HTTP/1.1 (or the line has more than"
                    + " three parts)";
        }
        return Exchange.describe(cause);
    }

    /**
     * The connection opened with a TLS handshake record ({@link TlsSniffer}): answered at once with a
     * 400 that says so, counted and logged like any refused request, and closed. Waiting for the HTTP
     * decoder would give a 400 about line endings, or, for a hello without a line feed, a 408 after
     * {@code header_read_timeout}.
     */
    void tlsHandshakeSent() {
        timeouts.requestStarted();
        bodyBytes = 0;
        refuseUnread(ProxyError.BAD_REQUEST,
                "a TLS handshake on a plain-HTTP listener (use http://, or end TLS in front of Ballast)");
    }

    /** Answers, and closes on, what never became a request line: logged with no method and no target. */
    private void refuseUnread(ProxyError error, String reason) {
        requestClient = clientIp; // no head to read X-Forwarded-For from
        record.begin(clientIp, "-", "-", System.nanoTime());
        bodyDeclared = true; // unknown: the rest of the head, and a body, may still be on their way
        respondLocally(error, "-", "-", reason, true, false);
    }

    /** What the request forwarded now adds to {@code Via}. */
    ViaHeader via() {
        return proxy.via();
    }

    /** The client of the request in hand, for log lines. */
    String clientIp() {
        return requestClient;
    }

    /** The address the connection comes from: what {@code X-Forwarded-For} gets appended. */
    String peerIp() {
        return clientIp;
    }

    /** No request follows the current one on this connection: the proxy shuts down, or the pipeline overflowed. */
    boolean draining() {
        return proxy.draining() || (pipelineFull && noRequestWaiting());
    }

    private boolean noRequestWaiting() {
        return earlyRequests == 0;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (ctx.channel().remoteAddress() instanceof InetSocketAddress remote) {
            peer = remote.getAddress();
            clientIp = peer.getHostAddress();
            requestClient = clientIp;
        }
        ctx.read();
    }

    /**
     * True when the client is one of {@code trusted_proxies}, whose forwarding headers are kept. Decided
     * once per connection and configuration: a reload may change the list.
     */
    boolean fromTrustedProxy() {
        TrustedProxies current = proxy.trustedProxies();
        if (current != trustedProxiesSeen) {
            trustedProxiesSeen = current;
            fromTrustedProxy = !current.isEmpty() && peer != null && current.contains(peer.getAddress());
        }
        return fromTrustedProxy;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (skippedEmptyEnd(msg)) {
            return;
        }
        if (closing || pipelineFull) {
            ReferenceCountUtil.release(msg);
        } else if ((exchange != null && exchange.requestComplete()) || (early != null && !early.isEmpty())) {
            if (msg instanceof HttpRequest && !takeAhead()) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (early == null) {
                early = new ArrayDeque<>(4);
                arrivals = new long[ProxyPipeline.MAX_PIPELINE_DEPTH];
            }
            if (msg instanceof HttpRequest) { // counted in earlyRequests by takeAhead
                arrivals[(firstArrival + earlyRequests - 1) % arrivals.length] = System.nanoTime();
            }
            early.add(msg);
        } else {
            handle(msg);
        }
    }

    /**
     * The decoder follows a bodiless request's head with an empty end in the same read. The exchange
     * took the head as the whole request and sent it up as one message, so that end is dropped here
     * (a shared constant: nothing to release).
     */
    private boolean skippedEmptyEnd(Object msg) {
        if (!skipEmptyEnd) {
            return false;
        }
        skipEmptyEnd = false;
        return msg == LastHttpContent.EMPTY_LAST_CONTENT;
    }

    private void handle(Object msg) {
        if (skippedEmptyEnd(msg)) {
            return;
        }
        if (msg instanceof HttpRequest request) {
            requestHead(request);
        } else if (msg instanceof HttpContent part) {
            requestContent(part);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void requestHead(HttpRequest request) {
        long arrived = queuedArrivalNanos != 0 ? queuedArrivalNanos : System.nanoTime();
        queuedArrivalNanos = 0;
        timeouts.requestStarted();
        bodyBytes = 0;
        dropMirror(); // the last request's body was cut short (a copy takes no part of another request)
        if (request.decoderResult().isFailure()) {
            Throwable cause = request.decoderResult().cause();
            ReferenceCountUtil.release(request);
            refuseUnread(ProxyError.ofDecoderFailure(cause), requestLineProblem(cause));
            return;
        }
        if (request.headers() instanceof CountedHeaders counted) {
            counted.decoded();
        }
        String method = request.method().name();
        http10 = request.protocolVersion().minorVersion() == 0;
        requestClient = fromTrustedProxy() ? ForwardedFor.client(request.headers(), proxy.trustedProxies(), clientIp)
                : clientIp;
        record.begin(requestClient, method, request.uri(), arrived);
        record.request(request);
        // Framing is read once here and handed on: each look-up is a hash and a walk of the headers. A
        // refusal of a request that declared a body lingers before it closes (LingeringClose).
        boolean chunked = HttpUtil.isTransferEncodingChunked(request);
        long declared = HttpUtil.getContentLength(request, -1L);
        bodyDeclared = chunked || declared > 0;
        if (HttpMethod.CONNECT.equals(request.method())) {
            respondLocally(ProxyError.NOT_IMPLEMENTED, method, request.uri(),
                    "CONNECT is not supported: Ballast is a reverse proxy, not a tunnel", true, !bodyDeclared);
            return;
        }
        if (request.protocolVersion().majorVersion() != 1) {
            bodyDeclared = true; // an HTTP/2 client sends its frames right behind the preface, unasked
            respondLocally(ProxyError.VERSION_NOT_SUPPORTED, method, request.uri(),
                    request.protocolVersion() + " in an HTTP/1 request line", true, false);
            return;
        }
        HttpVersion version = request.protocolVersion();
        if (version.minorVersion() <= 1 && version != HttpVersion.HTTP_1_0 && version != HttpVersion.HTTP_1_1) {
            // Netty reads "http/1.0" as HTTP/1.0 with keep-alive on; the name is case-sensitive (RFC 9112 §2.3).
            respondLocally(ProxyError.BAD_REQUEST, method, request.uri(),
                    "the HTTP version is written in capitals, as " + version, true, !bodyDeclared);
            return;
        }
        String refused = RequestHead.hostProblem(request);
        if (refused == null) {
            refused = RequestHead.toOriginForm(request);
        }
        if (refused == null) {
            refused = RequestHead.targetProblem(request);
        }
        if (refused == null && declared > 0 && !chunked && !request.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
            // Netty's decoder gives a draft-76 WebSocket handshake (Key1 and Key2) an 8-byte body that no
            // header declares: forwarded, those bytes would start the upstream's next request.
            refused = "a draft-76 WebSocket handshake (Sec-WebSocket-Key1 and -Key2) is not supported";
        }
        if (refused != null) {
            respondLocally(ProxyError.BAD_REQUEST, method, request.uri(), refused, true, !bodyDeclared);
            return;
        }
        if ((HttpMethod.OPTIONS.equals(request.method()) || HttpMethod.TRACE.equals(request.method()))
                && countDownMaxForwards(request.headers())) {
            // As any local answer: a body it came with is not waited for, and the client's wish to close holds.
            respondLocally(ProxyError.LAST_HOP, method, request.uri(),
                    "Max-Forwards: 0, so this proxy answers " + method + " as the last hop",
                    bodyDeclared || !HttpUtil.isKeepAlive(request), !bodyDeclared);
            return;
        }
        String path = RequestTarget.path(request.uri());
        String codings = chunked ? HopByHop.otherTransferCodings(request.headers()) : null;
        if (codings != null) {
            // Forwarded dechunked, a body would lose its coding; RFC 9112 §6.1: 501 for one not understood.
            respondLocally(ProxyError.NOT_IMPLEMENTED, method, request.uri(),
                    "transfer coding '" + codings + "' is not supported (only chunked)", true, false);
            return;
        }
        RouteRule rule = proxy.routes().match(request, path);
        if (rule == null) {
            respondLocally(ProxyError.NO_ROUTE, method, request.uri(), "no route for " + method + " " + path,
                    bodyDeclared || !HttpUtil.isKeepAlive(request), false);
            return;
        }
        Route route = rule.choose(rule.splitKey() == null || !rule.splits() ? null
                : RequestHash.key(rule.splitKey(), request, path, requestClient));
        record.route(route);
        long maxBody = proxy.limits().maxBodySizeBytes();
        if (maxBody > 0 && declared > maxBody) {
            respondLocally(ProxyError.BODY_TOO_LARGE, method, request.uri(),
                    "body of " + declared + " bytes exceeds max_body_size (" + maxBody + ")", true, false);
            return;
        }
        boolean expectContinue = false;
        if (request.protocolVersion().minorVersion() == 0) {
            request.headers().remove(HttpHeaderNames.EXPECT); // HTTP/1.0 has none: ignored (RFC 9110 §10.1.1)
        } else if (request.headers().contains(HttpHeaderNames.EXPECT)) {
            Expectation expectation = expectation(request.headers());
            if (expectation == Expectation.CONTINUE) {
                expectContinue = true;
            } else if (expectation == Expectation.NOTHING) {
                request.headers().remove(HttpHeaderNames.EXPECT);
            } else {
                respondLocally(ProxyError.EXPECTATION_FAILED, method, request.uri(),
                        "unsupported Expect: " + request.headers().get(HttpHeaderNames.EXPECT), true, false);
                return;
            }
        }
        Mirror copyTo = rule.mirror();
        boolean copied = copyTo != null && copyTo.sampled();
        // The copy's hash key is read as the request's own is: from the head before it is rewritten.
        String copyKey = copied ? RequestHash.key(copyTo.upstream(), request, path, requestClient) : null;
        Exchange started = new Exchange(this, ctx, request, route.upstream(), path, requestClient, expectContinue,
                chunked, bodyDeclared, record);
        exchange = started;
        MirrorExchange copy = null;
        if (copied && !started.upgrading()) {
            // Copied now, rewritten for upstreams but without the route's host_header; sent after the
            // request it copies, which so gets first any endpoint or breaker slot the two compete for.
            copy = MirrorExchange.of(copyTo.upstream(), ctx.channel().eventLoop(), request, bodyDeclared, copyKey,
                    proxy.observer());
            mirror = bodyDeclared ? copy : null;
        }
        skipEmptyEnd = !bodyDeclared;
        if (bodyDeclared) {
            timeouts.awaitingBody();
        }
        started.start();
        if (copy != null) {
            if (exchange == started) {
                copy.start();
            } else {
                copy.drop(); // refused at once (no endpoint, circuit open): no copy of a refused request
            }
        }
    }

    private void requestContent(HttpContent part) {
        // The request the copy copies is refused or gone (a response aborted mid-stream closes the
        // connection, while parts of the same read still come): the copy would never be whole.
        if (mirror != null && (discarding || exchange == null || part.decoderResult().isFailure()
                || !ctx.channel().isActive())) {
            dropMirror();
        }
        if (discarding) {
            part.release();
            if (part instanceof LastHttpContent) {
                discarding = false;
                becomeIdle();
            }
            return;
        }
        Exchange current = exchange;
        if (current == null) {
            part.release();
            return;
        }
        if (part.decoderResult().isFailure()) {
            part.release();
            current.rejectBody(ProxyError.BAD_REQUEST, "malformed body: " + Exchange.describe(part.decoderResult().cause()));
            return;
        }
        if (part instanceof LastHttpContent last) {
            timeouts.requestStarted(); // the body is in: no client clock until the response is done
            HopByHop.stripRequestTrailers(last.trailingHeaders());
        }
        bodyBytes += part.content().readableBytes();
        long maxBody = proxy.limits().maxBodySizeBytes();
        if (maxBody > 0 && bodyBytes > maxBody) {
            part.release();
            dropMirror();
            current.rejectBody(ProxyError.BODY_TOO_LARGE, "body exceeds max_body_size (" + maxBody + " bytes)");
            return;
        }
        MirrorExchange copy = mirror;
        HttpContent copied = null;
        if (copy != null) {
            if (part instanceof LastHttpContent || copy.ended()) {
                mirror = null;
            }
            if (!copy.ended()) {
                copied = part.retainedDuplicate(); // taken first: the request's own write may consume the part
            }
        }
        current.requestContent(part);
        if (copied != null) {
            copy.requestContent(copied);
        }
    }

    /**
     * Answers {@code Expect: 100-continue} ourselves once an endpoint is picked: the client streams
     * its body while we connect, and an upstream that ignores Expect cannot leave both sides waiting.
     */
    void sendContinue() {
        ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                Unpooled.EMPTY_BUFFER), ctx.voidPromise());
    }

    /** Drops the mirrored copy of a request whose body will not all come. */
    private void dropMirror() {
        if (mirror != null) {
            mirror.abandon();
            mirror = null;
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (exchange != null) {
            exchange.flushRequest();
        }
        if (mirror != null) {
            mirror.flush();
        }
        readIfWanted();
    }

    /**
     * Asks for the next read when we want more from the client: between requests; while a request
     * body streams and its upstream connection can take more; and while a response is awaited, as
     * long as nothing of a pipelined request is already waiting. Keeping that read armed costs
     * nothing while the client is quiet, notices a client that hangs up at once, and, on epoll,
     * spares the two epoll_ctl calls per request that switching reading off and on again would cost.
     */
    void readIfWanted() {
        if (closing || replaying || pipelineFull) {
            return;
        }
        Exchange current = exchange;
        if (current == null) {
            ctx.read();
        } else if (!current.requestComplete()) {
            if (current.acceptsBody()) {
                ctx.read();
            }
        } else if ((early == null || early.isEmpty()) && !current.awaitingUpgrade()) {
            ctx.read();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (exchange != null && ctx.channel().isWritable()) {
            exchange.clientWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    /** The exchange wrote its whole response; {@code keepAlive} when the connection serves another request. */
    void exchangeFinished(Exchange finished, boolean keepAlive) {
        if (exchange != finished) {
            return;
        }
        exchange = null;
        dropMirror(); // answered before the whole body came: the rest is never read
        completeRequest();
        if (!keepAlive) {
            closing = true; // the last write closes the connection
            return;
        }
        becomeIdle();
    }

    /**
     * The exchange switched protocols and its {@link Tunnel} takes this connection over (this handler
     * leaves the pipeline). Messages of a request pipelined behind the upgrade were decoded as HTTP
     * and cannot be relayed as the bytes they were, so such a client is closed after the 101.
     */
    void tunnelOpened(Exchange switched) {
        if (exchange != switched) {
            return;
        }
        exchange = null;
        if (early != null && !early.isEmpty()) {
            // RFC 6455 §4.1: a client waits for the handshake's answer before it sends more.
            log.info("{} {}: bytes sent behind an upgrade request before its answer; closing after the 101",
                    requestClient, Printable.detail(switched.uri()));
            Object msg;
            while ((msg = pollEarly()) != null) {
                ReferenceCountUtil.release(msg);
            }
            closeAfterFlush();
        }
    }

    /** The tunnel of this connection closed: the request it began is over, with the bytes relayed. */
    void tunnelClosed(long bytesFromClient, long bytesToClient) {
        closing = true;
        if (proxy.closingAll()) {
            record.cutShort(CutShort.SHUTDOWN); // a tunnelled protocol cannot be asked to finish
        }
        bodyBytes = bytesFromClient;
        record.addBytesOut(bytesToClient);
        completeRequest();
    }

    /** The exchange failed before its response started: answer with the mapped status. */
    void exchangeFailed(Exchange failed, ProxyError error, String detail, boolean close, boolean requestEnded) {
        if (exchange != failed) {
            return;
        }
        exchange = null;
        dropMirror(); // refused: the rest of the body is discarded or never read
        respondLocally(error, failed.method(), failed.uri(), detail, close, requestEnded, failed.attempts());
    }

    /**
     * An OPTIONS or TRACE request's {@code Max-Forwards} (RFC 9110 §7.6.2): true when it is 0, so this
     * proxy is the last hop and answers; otherwise one less goes on. A value that is no number is left
     * as it is, for the next hop to judge.
     */
    static boolean countDownMaxForwards(HttpHeaders headers) {
        String value = headers.get(HttpHeaderNames.MAX_FORWARDS);
        if (value == null || value.isEmpty() || value.length() > 18) {
            return false;
        }
        long left = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
            left = left * 10 + (c - '0');
        }
        if (left == 0) {
            return true;
        }
        headers.set(HttpHeaderNames.MAX_FORWARDS, Long.toString(left - 1));
        return false;
    }

    private void respondLocally(ProxyError error, String method, String uri, String detail, boolean close,
                                boolean requestEnded) {
        respondLocally(error, method, uri, detail, close, requestEnded, 0);
    }

    /** {@code attempts}: endpoints the request was tried on, for {@code x-ballast-attempts}; 0 for none. */
    private void respondLocally(ProxyError error, String method, String uri, String detail, boolean close,
                                boolean requestEnded, int attempts) {
        boolean closeAfter = close || draining();
        detail = Printable.detail(detail);
        uri = Printable.detail(uri);
        int status = error.status().code();
        if (status >= 500 && error != ProxyError.NOT_IMPLEMENTED && error != ProxyError.VERSION_NOT_SUPPORTED) {
            // a 501 or 505 is the client's doing, like a 4xx
            log.warn("{} {} {} -> {}: {}", requestClient, method, uri, status, detail);
        } else {
            log.info("{} {} {} -> {}: {}", requestClient, method, uri, status, detail);
        }
        FullHttpResponse response = error.response(ctx.alloc(), detail, closeAfter);
        if (attempts > 0) {
            response.headers().set(Exchange.ATTEMPTS_HEADER, Exchange.attemptsText(attempts));
        }
        if (http10 && !closeAfter) {
            // HTTP/1.0 closes unless told otherwise (RFC 9112 §9.3): a client that asked to keep the
            // connection must hear that it is kept, or it reads to a close that never comes.
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        record.status(status);
        if (!HttpMethod.HEAD.name().equals(method)) { // the codec sends no body with an answer to HEAD
            record.addBytesOut(response.content().readableBytes());
        }
        completeRequest();
        if (closeAfter) {
            closing = true;
            if (requestEnded || !bodyDeclared) {
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            } else {
                LingeringClose.after(ctx.channel(), ctx.writeAndFlush(response)); // its body is still coming
            }
            return;
        }
        ctx.writeAndFlush(response, ctx.voidPromise());
        if (requestEnded) {
            becomeIdle();
        } else {
            discarding = true;
        }
    }

    /** Between requests: start the idle clock, serve a pipelined request that already arrived, or read. */
    private void becomeIdle() {
        if (draining()) {
            closeAfterFlush();
            return;
        }
        timeouts.connectionIdle();
        if (replaying) {
            return; // the replay loop below continues
        }
        replaying = true;
        try {
            // A whole bodiless request leaves its empty end queued behind it: take that too, so
            // reading goes on while the exchange runs.
            while (early != null && !early.isEmpty() && !closing
                    && (exchange == null || !exchange.requestComplete()
                        || (skipEmptyEnd && early.peek() == LastHttpContent.EMPTY_LAST_CONTENT))) {
                handle(pollEarly());
            }
        } catch (RuntimeException e) {
            // Replayed from another channel's read (the upstream's, as its response ended): an error
            // here would reach that pipeline and leave this connection waiting for nothing.
            log.warn("{}: closing client connection after an unexpected error: {}", ctx.channel(), e.toString());
            closing = true;
            ctx.close();
        } finally {
            replaying = false;
        }
        readIfWanted();
    }

    /**
     * No complete request head within {@code header_read_timeout}. A client that started one
     * ({@code firstByteNanos} is when) gets 408, counted and logged as a request from that moment; a
     * connection that sent nothing at all (a preconnect, a probe) is closed without a word.
     */
    void headerReadTimedOut(long firstByteNanos) {
        if (exchange != null || closing || discarding) {
            return;
        }
        if (firstByteNanos == ClientTimeouts.NO_BYTE) {
            log.debug("{}: no request within header_read_timeout; closing", ctx.channel());
            closeAfterFlush();
            return;
        }
        bodyBytes = 0; // of no request: the one before had its own line
        requestClient = clientIp;
        record.begin(clientIp, "-", "-", firstByteNanos);
        respondLocally(ProxyError.HEADER_READ_TIMEOUT, "-", "-", "request headers not complete within "
                + proxy.limits().headerReadTimeoutMillis() + "ms (header_read_timeout)", true, true);
    }

    /**
     * No byte of the request body moved for {@code client_stall_timeout}. When the proxy was waiting
     * for the client, it is answered 408 and closed; when the upstream stopped taking the body, 504.
     * Returns false while neither is to blame (still connecting), so the clock starts again. Once the
     * upstream answered, a body that stopped holds nothing up: a client may wait for the answer (RFC
     * 9112 §9.6), and an upstream that answers early need not read the rest; the response's own
     * timeouts apply, and the connection closes after it.
     */
    boolean bodyStalled() {
        Exchange current = exchange;
        if (current == null || current.requestComplete() || current.responseStarted()) {
            return true;
        }
        long stall = proxy.limits().clientStallTimeoutMillis();
        if (current.acceptsBody()) {
            current.rejectBody(ProxyError.BODY_TIMEOUT, "no byte of the request body for " + stall
                    + "ms (client_stall_timeout)");
            return true;
        }
        if (current.upstreamBlocked()) {
            current.upstreamStalledOnBody("took no byte of the request body for " + stall + "ms (client_stall_timeout)");
            return true;
        }
        return false;
    }

    void idleTimedOut() {
        if (exchange == null && !closing && !discarding) {
            log.debug("{}: idle for client_idle_timeout, closing", ctx.channel());
            closeAfterFlush();
        }
    }

    /**
     * Graceful shutdown: close now if idle between requests; otherwise the response in flight closes
     * it. A new connection, or one whose request head is on its way, keeps its place: its request is
     * answered (with {@code Connection: close}) or it meets {@code header_read_timeout}, as clients
     * retry a request on a closing keep-alive connection but not on one they just opened.
     */
    void drain() {
        if (exchange == null && !closing && !discarding && timeouts.idleBetweenRequests()) {
            closeAfterFlush();
        }
    }

    private void closeAfterFlush() {
        closing = true;
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        dropMirror();
        Exchange current = exchange;
        exchange = null;
        if (current != null) {
            current.clientClosed();
        }
        if (record.isOpen()) {
            if (record.status() == 0) {
                record.status(proxy.closingAll() || closedByProxy
                        ? RequestRecord.CLOSED_WITHOUT_RESPONSE : RequestRecord.CLIENT_CLOSED);
            } else {
                // Unless the proxy broke it off and said why: the first reason is kept.
                record.cutShort(proxy.closingAll() ? CutShort.SHUTDOWN : CutShort.CLIENT_CLOSED);
            }
            completeRequest(); // the client left mid-request, or a response was aborted
        }
        if (early != null) {
            Object msg;
            while ((msg = pollEarly()) != null) {
                ReferenceCountUtil.release(msg);
            }
        }
        ctx.fireChannelInactive();
    }

    /**
     * Whether a request sent ahead of the current one's answer can wait its turn. Past the pipeline
     * depth it is dropped, with everything the client sent after it, and no more is read: the requests
     * taken in are answered and the last answer closes the connection.
     */
    private boolean takeAhead() {
        if (earlyRequests + 1 < ProxyPipeline.MAX_PIPELINE_DEPTH) { // the current request counts too
            earlyRequests++;
            return true;
        }
        pipelineFull = true;
        log.info("{}: client sent more than {} requests ahead of their answers; answering those taken in, then"
                + " closing", ctx.channel(), ProxyPipeline.MAX_PIPELINE_DEPTH);
        return false;
    }

    /** The next message waiting in {@code early}, or null. */
    private Object pollEarly() {
        Object msg = early.poll();
        if (msg instanceof HttpRequest) {
            earlyRequests--;
            queuedArrivalNanos = arrivals[firstArrival];
            firstArrival = (firstArrival + 1) % arrivals.length;
        }
        return msg;
    }

    /** Reports the current request to the observers, once. */
    private void completeRequest() {
        if (record.end(System.nanoTime())) {
            record.bytesIn(bodyBytes);
            proxy.observer().completed(record);
        }
    }

    /**
     * The proxy closes the connection, cutting short a response under way, if any, for {@code why}.
     * Through the channel: in a tunnel this handler has left the pipeline.
     */
    void closeCuttingShort(CutShort why) {
        if (record.isOpen() && record.status() != 0) {
            record.cutShort(why);
        }
        closedByProxy = why == CutShort.PROXY_ERROR;
        ctx.channel().close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("{}: client connection failed: {}", ctx.channel(), cause.toString());
            ctx.close(); // the client's side failed: a response under way was cut short by the client
        } else {
            log.warn("{}: closing client connection after an unexpected error: {}", ctx.channel(), cause.toString());
            closeCuttingShort(CutShort.PROXY_ERROR);
        }
    }
}
