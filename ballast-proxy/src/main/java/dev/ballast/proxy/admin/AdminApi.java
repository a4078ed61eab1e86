package dev.ballast.proxy.admin;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.internal.Printable;
import dev.ballast.core.state.EndpointState;
import dev.ballast.proxy.metrics.ProxyMetrics;
import dev.ballast.proxy.upstream.Upstream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpContentException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The admin listener's HTTP API and dashboard:
 *
 * <pre>
 * GET  /                 the dashboard (static page that polls /status and /stats)
 * GET  /healthz          200 while the process serves
 * GET  /ready            200 once the configuration is loaded, the listeners bound and discovery's first names in, else 503
 * GET  /metrics          Prometheus text exposition
 * GET  /status           listeners, routes, upstreams and endpoints with their state, recent events
 * GET  /stats            the last minutes per upstream and endpoint, one sample a second
 * GET  /config           the effective configuration, secrets redacted
 * POST /reload           re-read the configuration file; 200 applied, 400 rejected (with the errors)
 * GET  /upstreams/{name}  one upstream and its endpoints, as in /status
 * POST /upstreams/{name}/endpoints/{host:port}/drain    no new requests; in-flight ones finish
 * POST /upstreams/{name}/endpoints/{host:port}/enable   back in rotation
 * </pre>
 *
 * When {@code admin.token} is set, every call (the dashboard too) needs {@code Authorization: Bearer
 * <token>}, else 401; without one, what web pages send is refused ({@link LocalOnly}). Connections
 * are held to deadlines and a limit ({@link AdminDeadlines}). Requests are small, so they are aggregated and answered whole. Handlers run on
 * the admin listener's own event loop; changes run on the proxy's control path and are answered
 * when done.
 */
public final class AdminApi {

    private static final Logger log = LoggerFactory.getLogger(AdminApi.class);
    private static final int MAX_REQUEST = 64 * 1024;
    private static final String JSON = "application/json; charset=utf-8";
    private static final String TEXT = "text/plain; charset=utf-8";

    private final ProxyControl proxy;
    private final ProxyMetrics metrics;
    private final AdminEvents events;
    private final byte[] token;
    private final StatsHistory history;
    private final AtomicInteger connections = new AtomicInteger();
    private final long requestReadMillis;
    private final long idleMillis;

    /**
     * @param token             the bearer token every call must present, or null when none is needed
     * @param requestReadMillis how long a request may take to arrive whole ({@code header_read_timeout})
     * @param idleMillis        how long a connection may wait for its next request ({@code client_idle_timeout})
     */
    public AdminApi(ProxyControl proxy, ProxyMetrics metrics, AdminEvents events, String token,
                    long requestReadMillis, long idleMillis) {
        this.proxy = proxy;
        this.metrics = metrics;
        this.events = events;
        this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
        this.history = new StatsHistory(metrics);
        this.requestReadMillis = requestReadMillis;
        this.idleMillis = idleMillis;
    }

    /** The child handler of the admin listener (auto-read on: it is not on the data path). */
    public ChannelHandler initializer() {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel channel) {
                AdminDeadlines deadlines = new AdminDeadlines(connections, requestReadMillis, idleMillis);
                channel.pipeline().addLast(deadlines, new HttpServerCodec(), new InOrderAggregator(deadlines),
                        new Handler(deadlines));
            }
        };
    }

    /** Samples traffic for {@code /stats} once a second on {@code loop}, the admin listener's. */
    public void startSampling(EventLoop loop) {
        loop.scheduleAtFixedRate(() -> history.sample(System.currentTimeMillis()), 0, 1, TimeUnit.SECONDS);
    }

    /**
     * An answer: status, content type, body, and at most one header of its own.
     *
     * @param header             a header this answer needs ({@code Allow} on a 405, RFC 9110 §15.5.6;
     *                           {@code WWW-Authenticate} on a 401, §11.6.1), else null
     * @param endsTheConnection  true when the request leaves the connection in doubt, so nothing after it
     *                           is read
     */
    private record Reply(HttpResponseStatus status, String contentType, byte[] body, CharSequence header,
                         String headerValue, boolean endsTheConnection) {

        static Reply text(HttpResponseStatus status, String text) {
            return new Reply(status, TEXT, text.getBytes(StandardCharsets.UTF_8), null, null, false);
        }

        static Reply json(HttpResponseStatus status, Object value) {
            return new Reply(status, JSON, AdminJson.bytes(value), null, null, false);
        }

        Reply with(CharSequence name, String value) {
            return new Reply(status, contentType, body, name, value, endsTheConnection);
        }

        Reply closing() {
            return new Reply(status, contentType, body, header, headerValue, true);
        }
    }

    /**
     * Leaves every answer to the handler, so that answers keep their requests' order: no {@code 100
     * Continue} or {@code 417} of its own (an expectation is ignored, as RFC 9110 §10.1.1 allows; admin
     * requests are small), and a request over {@link #MAX_REQUEST} passed on as refused, to be answered
     * 413 in its turn. The rest of its body is dropped.
     */
    private static final class InOrderAggregator extends HttpObjectAggregator {

        private final AdminDeadlines deadlines;
        /** The body of a request over the limit is being dropped. */
        private boolean dropping;

        InOrderAggregator(AdminDeadlines deadlines) {
            super(MAX_REQUEST);
            this.deadlines = deadlines;
        }

        /** Tells the deadlines when a dropped body has ended: its last bytes began no request. */
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            boolean last = msg instanceof LastHttpContent;
            super.channelRead(ctx, msg);
            if (last && dropping) {
                dropping = false;
                deadlines.bodyDropped();
            }
        }

        @Override
        protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
            return null;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            dropping = true;
            HttpRequest head = (HttpRequest) oversized;
            FullHttpRequest refused = new DefaultFullHttpRequest(head.protocolVersion(), head.method(), head.uri());
            refused.headers().set(head.headers()); // Connection: close, Host and the token still count
            refused.setDecoderResult(DecoderResult.failure(new TooLongHttpContentException(
                    "a request body over " + MAX_REQUEST + " bytes")));
            ctx.fireChannelRead(refused);
        }
    }

    /** One per connection: its fields are read and written on the connection's event loop only. */
    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {

        private static final CompletableFuture<Void> WRITTEN = CompletableFuture.completedFuture(null);
        /** Requests whose answers may be pending at once, the first included; one more ends the connection. */
        private static final int MAX_WAITING = 16;

        private final AdminDeadlines deadlines;
        /**
         * Completes once the answer to the last request read has been written. Answers go out in the
         * order their requests came (RFC 9112 §9.3.2), even when one behind a reload is ready first.
         */
        private CompletableFuture<Void> lastAnswer = WRITTEN;
        /** Requests read whose answers are not written yet. */
        private int waiting;
        /** Too many were waiting: those are answered, the last with a close, and nothing more is read. */
        private boolean full;
        /** An answer that closes the connection was written: nothing after it is acted on (RFC 9112 §9.6). */
        private boolean ended;
        /** Completes when the connection, which an answer left full, can take more; null while it can. */
        private CompletableFuture<Void> writable;

        Handler(AdminDeadlines deadlines) {
            this.deadlines = deadlines;
        }

        /**
         * Answers at once when nothing is pending. Behind a pending answer a request waits its turn, and
         * is only then answered (a {@code /metrics} rendered early would be held in memory until then);
         * reading pauses meanwhile, and at most {@link #MAX_WAITING} wait.
         */
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            if (ended || full) {
                return; // released by the superclass, never acted on
            }
            deadlines.requestRead();
            if (waiting >= MAX_WAITING) {
                full = true;
                log.info("admin: a client pipelined more than {} requests behind an answer still pending; the last"
                        + " of them closes its connection", MAX_WAITING);
                return;
            }
            waiting++;
            if (lastAnswer.isDone()) {
                lastAnswer = respond(ctx, request);
            } else {
                request.retain();
                lastAnswer = lastAnswer.thenCompose(previous -> {
                    try {
                        if (ended || !ctx.channel().isActive()) {
                            waiting--; // after a close, or its client gone: no reload or drain made for it
                            return WRITTEN;
                        }
                        return respond(ctx, request);
                    } finally {
                        request.release();
                    }
                });
            }
            CompletableFuture<Void> pending = lastAnswer;
            if (pending.isDone()) {
                deadlines.answered();
                return;
            }
            ctx.channel().config().setAutoRead(false);
            pending.whenComplete((written, error) -> {
                if (lastAnswer == pending) { // completes on this loop: the last task wrote it
                    ctx.channel().config().setAutoRead(true);
                    deadlines.answered();
                }
            });
        }

        /**
         * Answers {@code request}; completes, on this connection's loop, once the answer is written and
         * the connection can take another (a client that does not read holds the next ones back).
         */
        private CompletableFuture<Void> respond(ChannelHandlerContext ctx, FullHttpRequest request) {
            // A body over the limit was dropped by the aggregator: the connection can go on after its 413.
            boolean keepAlive = HttpUtil.isKeepAlive(request) && (request.decoderResult().isSuccess()
                    || request.decoderResult().cause() instanceof TooLongHttpContentException);
            CompletableFuture<Reply> reply;
            try {
                reply = answer(request);
            } catch (RuntimeException e) {
                log.warn("admin: {} {} failed", request.method(), Printable.detail(request.uri()), e);
                reply = done(failed(e));
            }
            CompletableFuture<Reply> settled = reply.exceptionally(this::failed);
            if (settled.isDone()) {
                return answer(ctx, keepAlive, settled.join());
            }
            CompletableFuture<Void> written = new CompletableFuture<>();
            settled.thenAccept(later -> ctx.executor().execute(() -> answer(ctx, keepAlive, later)
                    .whenComplete((ignored, error) -> written.complete(null))));
            return written;
        }

        /**
         * Writes one answer; the last of a full queue, or one that ends the connection, closes it.
         * Completes at once, or once the connection is writable again.
         */
        private CompletableFuture<Void> answer(ChannelHandlerContext ctx, boolean keepAlive, Reply reply) {
            waiting--;
            boolean close = !keepAlive || reply.endsTheConnection() || (full && waiting == 0);
            if (close) {
                ended = true;
            }
            send(ctx, !close, reply);
            if (close || ctx.channel().isWritable() || !ctx.channel().isActive()) {
                return WRITTEN; // a closed channel is never writable again: nothing to wait for
            }
            writable = new CompletableFuture<>();
            deadlines.clientBehind();
            return writable;
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
            if (ctx.channel().isWritable() && writable != null) {
                CompletableFuture<Void> ready = writable;
                writable = null;
                deadlines.clientCaughtUp();
                ready.complete(null);
            }
            super.channelWritabilityChanged(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (writable != null) { // nothing more will be written: what waits goes on, to be skipped
                CompletableFuture<Void> ready = writable;
                writable = null;
                ready.complete(null);
            }
            super.channelInactive(ctx);
        }

        private CompletableFuture<Reply> answer(FullHttpRequest request) {
            if (request.decoderResult().isFailure()) {
                return done(undecodable(request.decoderResult().cause()));
            }
            // As the proxy's listeners answer: HTTP/1.x only, and an HTTP/1.1 request names its Host.
            if (request.protocolVersion().majorVersion() != 1) {
                return done(Reply.text(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED,
                        "505 HTTP Version Not Supported: the admin API speaks HTTP/1.0 and HTTP/1.1\n").closing());
            }
            boolean http11 = request.protocolVersion().minorVersion() == 1;
            if (http11 && request.headers().getAll(HttpHeaderNames.HOST).size() != 1) {
                return done(Reply.text(HttpResponseStatus.BAD_REQUEST,
                        "bad request: an HTTP/1.1 request needs exactly one Host header\n").closing());
            }
            if (!authorized(request)) {
                // Closed after it: a connection that cannot show the token must not keep one of the
                // listener's few places (a client that can sends it on a new connection).
                return done(Reply.text(HttpResponseStatus.UNAUTHORIZED,
                                "401 Unauthorized: send Authorization: Bearer <admin.token>\n")
                        .with(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"ballast admin\"").closing());
            }
            String refused = token == null ? LocalOnly.problem(request) : LocalOnly.crossSiteProblem(request);
            if (refused != null) {
                return done(Reply.text(HttpResponseStatus.FORBIDDEN, "403 Forbidden: "
                        + Printable.detail(refused) + "\n"));
            }
            QueryStringDecoder target = new QueryStringDecoder(originForm(request.uri()));
            String path;
            try {
                path = target.path();
            } catch (IllegalArgumentException malformed) {
                return done(Reply.text(HttpResponseStatus.BAD_REQUEST,
                        "bad request: the path is not valid percent-encoding\n"));
            }
            HttpMethod method = request.method();
            boolean read = method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD);
            return switch (path) {
                case "/", "/index.html", "/dashboard.js", "/dashboard.css" -> done(read ? asset(path) : notAllowed("GET"));
                case "/healthz" -> done(read ? Reply.text(HttpResponseStatus.OK, "ok\n") : notAllowed("GET"));
                case "/ready" -> done(!read ? notAllowed("GET") : proxy.ready()
                        ? Reply.text(HttpResponseStatus.OK, "ready\n")
                        : Reply.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready\n"));
                case "/metrics" -> done(read ? metrics() : notAllowed("GET"));
                case "/status" -> done(read ? Reply.json(HttpResponseStatus.OK,
                        StatusJson.of(proxy, history, events, connections.get())) : notAllowed("GET"));
                case "/stats" -> done(read ? new Reply(HttpResponseStatus.OK, JSON, history.json(), null, null, false)
                        : notAllowed("GET"));
                case "/config" -> done(read ? Reply.json(HttpResponseStatus.OK, proxy.config()) : notAllowed("GET"));
                case "/reload" -> method.equals(HttpMethod.POST) ? reload() : done(notAllowed("POST"));
                default -> path.startsWith("/upstreams/") ? upstreams(method, target.rawPath())
                        : done(Reply.text(HttpResponseStatus.NOT_FOUND,
                        "no admin endpoint " + Printable.detail(path) + "\n"));
            };
        }

        /**
         * {@code GET /upstreams/{name}}, and {@code POST /upstreams/{name}/endpoints/{address}/drain|enable}
         * on the control path. Split before decoding, so that an escaped slash stays inside its segment.
         */
        private CompletableFuture<Reply> upstreams(HttpMethod method, String rawPath) {
            String[] parts = rawPath.substring(1).split("/", -1);
            for (int i = 0; i < parts.length; i++) {
                parts[i] = QueryStringDecoder.decodeComponent(parts[i]); // valid: the whole path decoded
            }
            if (parts.length == 2 && !parts[1].isEmpty()) {
                boolean read = method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD);
                return done(read ? upstream(parts[1]) : notAllowed("GET"));
            }
            if (parts.length != 5 || !parts[2].equals("endpoints")
                    || !(parts[4].equals("drain") || parts[4].equals("enable"))) {
                return done(Reply.text(HttpResponseStatus.NOT_FOUND,
                        "no admin endpoint " + Printable.detail(String.join("/", parts)) + " (expected:"
                                + " /upstreams/{name}, or /upstreams/{name}/endpoints/{host:port}/drain or /enable)\n"));
            }
            return method.equals(HttpMethod.POST) ? drain(parts[1], parts[3], parts[4].equals("drain"))
                    : done(notAllowed("POST"));
        }

        private Reply upstream(String name) {
            Upstream upstream = proxy.upstreams().get(name);
            return upstream == null ? noUpstream(name)
                    : Reply.json(HttpResponseStatus.OK, StatusJson.upstream(upstream, history));
        }

        private Reply noUpstream(String name) {
            return Reply.text(HttpResponseStatus.NOT_FOUND, "no upstream '" + Printable.detail(name)
                    + "' (expected one of: " + String.join(", ", proxy.upstreams().keySet()) + ")\n");
        }

        private Reply asset(String path) {
            Dashboard.Asset asset = Dashboard.asset(path);
            return new Reply(HttpResponseStatus.OK, asset.contentType(), asset.body(), null, null, false);
        }

        private boolean authorized(FullHttpRequest request) {
            if (token == null) {
                return true;
            }
            String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
            if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
                return false;
            }
            // Constant time, so the token cannot be guessed byte by byte from response times.
            return MessageDigest.isEqual(token, header.substring(7).strip().getBytes(StandardCharsets.UTF_8));
        }

        private Reply metrics() {
            ByteBuf body = Unpooled.buffer(16 * 1024);
            try (ByteBufOutputStream out = new ByteBufOutputStream(body)) {
                metrics.scrape(out);
            } catch (IOException e) {
                body.release();
                return Reply.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "cannot write metrics: " + e + "\n");
            }
            byte[] bytes = new byte[body.readableBytes()];
            body.readBytes(bytes);
            body.release();
            return new Reply(HttpResponseStatus.OK, ProxyMetrics.contentType(), bytes, null, null, false);
        }

        private CompletableFuture<Reply> reload() {
            return proxy.reload("admin").handle((outcome, error) -> {
                if (error != null) {
                    Throwable cause = error.getCause() != null ? error.getCause() : error;
                    return Reply.json(HttpResponseStatus.CONFLICT, Map.of("result", "unavailable",
                            "error", String.valueOf(cause.getMessage())));
                }
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("result", outcome.applied() ? "applied" : "rejected");
                json.put("generation", outcome.generation());
                json.put("errors", outcome.errors());
                json.put("warnings", outcome.warnings());
                json.put("restart_required", outcome.notes());
                return Reply.json(outcome.applied() ? HttpResponseStatus.OK : HttpResponseStatus.BAD_REQUEST, json);
            });
        }

        /** Drains or enables an endpoint, on the control path, and answers with its state. */
        private CompletableFuture<Reply> drain(String name, String address, boolean draining) {
            try {
                return drainOnControlPath(name, address, draining);
            } catch (RejectedExecutionException e) {
                // The control path has stopped: the proxy is shutting down, and retires every endpoint.
                return done(Reply.text(HttpResponseStatus.CONFLICT, "the proxy is stopping: endpoints are no longer"
                        + " drained or enabled\n"));
            }
        }

        /**
         * An endpoint's address as the registry keys it: an IPv6 address copied from the file as written
         * there ({@code [FD00:0::5]:8080}) finds {@code [fd00::5]:8080}. Text that is no address is looked
         * up as it is, and not found.
         */
        private static String canonical(String address) {
            try {
                return Endpoint.parse(address).address();
            } catch (IllegalArgumentException notAnAddress) {
                return address;
            }
        }

        private CompletableFuture<Reply> drainOnControlPath(String name, String address, boolean draining) {
            return CompletableFuture.supplyAsync(() -> {
                Upstream upstream = proxy.upstreams().get(name);
                if (upstream == null) {
                    return noUpstream(name);
                }
                EndpointState endpoint = upstream.balancer().registry().get(canonical(address));
                if (endpoint == null) {
                    return Reply.text(HttpResponseStatus.NOT_FOUND, "upstream '" + name + "' has no endpoint "
                            + Printable.detail(address)
                            + " (expected one of: " + String.join(", ", upstream.balancer().members().stream()
                            .map(EndpointState::address).toList()) + ")\n");
                }
                if (endpoint.isDraining() != draining) {
                    endpoint.setDraining(draining);
                    upstream.balancer().refresh();
                    if (draining) {
                        upstream.closeIdleConnectionsTo(endpoint); // nothing new will use them
                    }
                    events.add(draining ? "drain" : "enable", name, endpoint.address(), draining
                            ? "draining: no new requests, " + endpoint.active() + " in flight finish"
                            : "back in rotation");
                    log.info("admin: upstream {} endpoint {} {}", name, endpoint.address(),
                            draining ? "draining" : "enabled");
                }
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("upstream", name);
                json.put("endpoint", endpoint.address()); // as /status shows it, however the path spelt it
                json.put("state", StatusJson.state(endpoint, upstream.balancer().registry().ticker().nanos()));
                json.put("active_requests", endpoint.active());
                return Reply.json(HttpResponseStatus.OK, json);
            }, proxy.controlPath());
        }

        /** An absolute-form target ({@code http://host:9901/status}) as its path and query (RFC 9112 §3.2.2). */
        private static String originForm(String uri) {
            int authority = uri.regionMatches(true, 0, "http://", 0, 7) ? 7
                    : uri.regionMatches(true, 0, "https://", 0, 8) ? 8 : -1;
            if (authority < 0) {
                return uri;
            }
            int path = authority;
            while (path < uri.length() && "/?#".indexOf(uri.charAt(path)) < 0) {
                path++;
            }
            String rest = uri.substring(path);
            return rest.startsWith("/") ? rest : "/" + rest;
        }

        private Reply failed(Throwable error) {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            return Reply.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "failed: " + cause + "\n");
        }

        private static CompletableFuture<Reply> done(Reply reply) {
            return CompletableFuture.completedFuture(reply);
        }

        private Reply notAllowed(String allowed) {
            return Reply.text(HttpResponseStatus.METHOD_NOT_ALLOWED, "use " + allowed + "\n")
                    .with(HttpHeaderNames.ALLOW, allowed.equals("GET") ? "GET, HEAD" : allowed);
        }

        /** A request the decoder refused, answered as the proxy's listeners answer it. */
        private Reply undecodable(Throwable cause) {
            return switch (cause) {
                case TooLongHttpLineException line -> Reply.text(HttpResponseStatus.REQUEST_URI_TOO_LONG,
                        "414 URI Too Long\n");
                case TooLongHttpHeaderException header -> Reply.text(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                        "431 Request Header Fields Too Large\n");
                case TooLongHttpContentException body -> Reply.text(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                        "413 Content Too Large: admin requests carry at most " + MAX_REQUEST + " bytes\n");
                default -> Reply.text(HttpResponseStatus.BAD_REQUEST, "bad request\n");
            };
        }

        private void send(ChannelHandlerContext ctx, boolean keepAlive, Reply reply) {
            write(ctx, keepAlive, response(reply));
        }

        private FullHttpResponse response(Reply reply) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, reply.status(),
                    Unpooled.wrappedBuffer(reply.body()));
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, reply.contentType())
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length)
                    .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
            if (reply.header() != null) {
                response.headers().set(reply.header(), reply.headerValue());
            }
            return response;
        }

        private void write(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse response) {
            if (keepAlive) {
                ctx.writeAndFlush(response, ctx.voidPromise());
            } else {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
