package dev.ballast.proxy.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real HTTP/1.1 server on 127.0.0.1 with a port the OS picks, for end-to-end tests. It streams
 * request bodies into a SHA-256 digest (never aggregating them), records every request, counts
 * connections, and answers with a swappable {@link Responder}.
 */
public final class TestBackend implements AutoCloseable {

    /** Answers one fully received request. Runs on the backend's event loop. */
    @FunctionalInterface
    public interface Responder {
        void respond(ChannelHandlerContext ctx, Recorded request);
    }

    /** What the backend saw of one request. */
    public record Recorded(String method, String uri, HttpHeaders headers, long bodyLength, String bodySha256,
                           HttpHeaders trailers, int connection) {
    }

    private final String name;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private final ChannelGroup children = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong bodyBytesReceived = new AtomicLong();
    private final AtomicLong bodyBytesWritten = new AtomicLong();
    private final List<Recorded> requests = new CopyOnWriteArrayList<>();
    private volatile Responder responder;

    private TestBackend(String name, Responder responder) {
        this(name, responder, new InetSocketAddress("127.0.0.1", 0));
    }

    private TestBackend(String name, Responder responder, InetSocketAddress bindTo) {
        this.name = name;
        this.responder = responder;
        this.server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                // Unpooled, so the proxy's pooled allocator metrics count only the proxy.
                .childOption(ChannelOption.ALLOCATOR, UnpooledByteBufAllocator.DEFAULT)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        int id = connections.incrementAndGet();
                        open.incrementAndGet();
                        ch.closeFuture().addListener(f -> open.decrementAndGet());
                        children.add(ch);
                        ch.pipeline().addLast(new HttpServerCodec(), new Handler(id));
                    }
                })
                .bind(bindTo).syncUninterruptibly().channel();
    }

    /** A backend answering 200 with its name. */
    public static TestBackend named(String name) {
        return new TestBackend(name, null);
    }

    public static TestBackend start(String name, Responder responder) {
        return new TestBackend(name, responder, new InetSocketAddress("127.0.0.1", 0));
    }

    /** A backend answering 200 with its name, on {@code host:port} (another loopback address, say). */
    public static TestBackend at(String name, String host, int port) {
        return new TestBackend(name, null, new InetSocketAddress(host, port));
    }

    public String name() {
        return name;
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    public String address() {
        return "127.0.0.1:" + port();
    }

    public void respondWith(Responder newResponder) {
        this.responder = newResponder;
    }

    /** Connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    public int openConnections() {
        return open.get();
    }

    public long bodyBytesReceived() {
        return bodyBytesReceived.get();
    }

    public long bodyBytesWritten() {
        return bodyBytesWritten.get();
    }

    public List<Recorded> requests() {
        return requests;
    }

    public Recorded lastRequest() {
        return requests.get(requests.size() - 1);
    }

    /**
     * Stops like a killed process: no more connections, and every open one closed, whatever it was
     * doing (a graceful event loop shutdown alone can leave accepted connections open and unread).
     * Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        server.close().syncUninterruptibly();
        children.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Handler extends SimpleChannelInboundHandler<HttpObject> {

        private final int connection;
        private HttpRequest head;
        private MessageDigest digest;
        private long length;

        Handler(int connection) {
            this.connection = connection;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (msg instanceof HttpRequest request) {
                head = request;
                digest = sha256();
                length = 0;
            }
            if (msg instanceof HttpContent content) {
                ByteBuf buf = content.content();
                length += buf.readableBytes();
                bodyBytesReceived.addAndGet(buf.readableBytes());
                digest.update(buf.nioBuffer());
                if (content instanceof LastHttpContent last) {
                    Recorded recorded = new Recorded(head.method().name(), head.uri(), head.headers().copy(), length,
                            HexFormat.of().formatHex(digest.digest()), last.trailingHeaders().copy(), connection);
                    requests.add(recorded);
                    Responder current = responder;
                    if (current == null) {
                        text(ctx, recorded, HttpResponseStatus.OK, name);
                    } else {
                        current.respond(ctx, recorded);
                    }
                }
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    // ---- responders ----

    /** A full response with a text body and Content-Length. */
    public static void text(ChannelHandlerContext ctx, Recorded request, HttpResponseStatus status, String body) {
        respond(ctx, request, status, new DefaultHttpHeaders(), body);
    }

    public static void respond(ChannelHandlerContext ctx, Recorded request, HttpResponseStatus status,
                               HttpHeaders extraHeaders, String body) {
        ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        response.headers().set(extraHeaders);
        if (!response.headers().contains(HttpHeaderNames.CONTENT_LENGTH)
                && !HttpUtil.isTransferEncodingChunked(response)) {
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        }
        boolean keepAlive = !request.headers().contains(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true);
        if (keepAlive) {
            ctx.writeAndFlush(response);
        } else {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /**
     * Switches to {@code protocol} when a request asks for it (101, with {@code greeting} sent in the
     * same write), then echoes every byte it reads and closes on the line {@code bye}; any other
     * request gets 426 Upgrade Required, on a connection that stays HTTP.
     */
    public static Responder switchToEcho(String protocol, String greeting) {
        return (ctx, request) -> {
            if (!protocol.equalsIgnoreCase(request.headers().get(HttpHeaderNames.UPGRADE))
                    || !request.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)) {
                text(ctx, request, HttpResponseStatus.UPGRADE_REQUIRED, "upgrade to " + protocol + " required");
                return;
            }
            ctx.write(switchingTo(protocol));
            HttpServerCodec codec = ctx.pipeline().get(HttpServerCodec.class);
            codec.removeOutboundHandler();
            ctx.writeAndFlush(Unpooled.copiedBuffer(greeting, StandardCharsets.UTF_8));
            ctx.pipeline().replace(ctx.handler(), "echo", new EchoUntilBye());
            ctx.pipeline().remove(codec);
        };
    }

    /** Switches to {@code protocol} with 101, then reads nothing more, the connection left open: a peer that hangs. */
    public static Responder switchAndStopReading(String protocol) {
        return (ctx, request) -> {
            ctx.channel().config().setAutoRead(false);
            ctx.writeAndFlush(switchingTo(protocol));
        };
    }

    private static FullHttpResponse switchingTo(String protocol) {
        FullHttpResponse switching = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.SWITCHING_PROTOCOLS, Unpooled.EMPTY_BUFFER);
        switching.headers().set(HttpHeaderNames.UPGRADE, protocol).set(HttpHeaderNames.CONNECTION, "Upgrade");
        return switching;
    }

    /** Echoes bytes back; closes after echoing a chunk that ends with {@code bye\n}. */
    private static final class EchoUntilBye extends io.netty.channel.ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf bytes = (ByteBuf) msg;
            boolean bye = bytes.toString(StandardCharsets.UTF_8).endsWith("bye\n");
            var written = ctx.writeAndFlush(bytes);
            if (bye) {
                written.addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    /** Sends {@code 103 Early Hints} with a {@code Link} header, then 200 {@code final}. */
    public static Responder earlyHints() {
        return (ctx, request) -> {
            FullHttpResponse hints = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(103),
                    Unpooled.EMPTY_BUFFER);
            hints.headers().set("Link", "</style.css>; rel=preload; as=style");
            ctx.write(hints);
            text(ctx, request, HttpResponseStatus.OK, "final");
        };
    }

    /** Answers 101 Switching Protocols whatever was asked, as a broken server might. */
    public static Responder unaskedSwitch() {
        return (ctx, request) -> {
            ctx.writeAndFlush(switchingTo("surprise"));
        };
    }

    /** Replies with the received body's length and SHA-256: {@code <length> <hex>}. */
    public static Responder digestEcho() {
        return (ctx, request) -> text(ctx, request, HttpResponseStatus.OK,
                request.bodyLength() + " " + request.bodySha256());
    }

    /** Answers after {@code delay}. */
    public static Responder delayed(Duration delay, Responder then) {
        return (ctx, request) -> ctx.executor().schedule(() -> then.respond(ctx, request),
                delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Answers when {@code gate} completes: the test decides when, instead of guessing a delay. */
    public static Responder held(CompletableFuture<?> gate, Responder then) {
        return (ctx, request) -> gate.whenComplete((ignored, failure) -> ctx.executor().execute(
                () -> then.respond(ctx, request)));
    }

    /** Never answers. */
    public static Responder silent() {
        return (ctx, request) -> { };
    }

    /** Promises {@code 1000} bytes, sends ten, and closes the connection. */
    public static Responder closeMidResponse() {
        return (ctx, request) -> {
            HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 1000);
            ctx.write(response);
            ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[10])))
                    .addListener(ChannelFutureListener.CLOSE);
        };
    }

    /** Promises ten bytes, sends two, then nothing, with the connection left open. */
    public static Responder quietMidBody() {
        return (ctx, request) -> ctx.pipeline().firstContext().writeAndFlush(Unpooled.copiedBuffer(
                "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nxx", StandardCharsets.US_ASCII));
    }

    /**
     * Streams {@code total} bytes of {@link TestPattern} in 64 KiB parts, the next part only when the
     * previous one is written: the backend is as slow as whoever reads it.
     *
     * @param chunked Transfer-Encoding: chunked instead of Content-Length
     */
    public TestBackend.Responder stream(long total, boolean chunked) {
        return (ctx, request) -> {
            HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            if (chunked) {
                response.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            } else {
                response.headers().set(HttpHeaderNames.CONTENT_LENGTH, total);
            }
            ctx.write(response);
            writePart(ctx, 0, total);
        };
    }

    private void writePart(ChannelHandlerContext ctx, long offset, long total) {
        if (offset >= total) {
            ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            return;
        }
        int size = (int) Math.min(64 * 1024, total - offset);
        ByteBuf part = ctx.alloc().buffer(size);
        TestPattern.fill(part, offset, size);
        ctx.writeAndFlush(new DefaultHttpContent(part)).addListener(f -> {
            if (f.isSuccess()) {
                bodyBytesWritten.addAndGet(size);
                writePart(ctx, offset + size, total);
            }
        });
    }

    /**
     * Switches to {@code protocol} with 101, then sends {@code total} raw bytes of {@link TestPattern}
     * as fast as they are taken (the next 64 KiB part when the previous one is written), counted in
     * {@link #bodyBytesWritten()}.
     */
    public TestBackend.Responder floodAfterSwitch(String protocol, long total) {
        return (ctx, request) -> {
            ctx.writeAndFlush(switchingTo(protocol));
            HttpServerCodec codec = ctx.pipeline().get(HttpServerCodec.class);
            codec.removeOutboundHandler();
            writeRaw(ctx, 0, total);
        };
    }

    private void writeRaw(ChannelHandlerContext ctx, long offset, long total) {
        if (offset >= total) {
            return;
        }
        int size = (int) Math.min(64 * 1024, total - offset);
        ByteBuf part = ctx.alloc().buffer(size);
        TestPattern.fill(part, offset, size);
        ctx.writeAndFlush(part).addListener(f -> {
            if (f.isSuccess()) {
                bodyBytesWritten.addAndGet(size);
                writeRaw(ctx, offset + size, total);
            }
        });
    }

    /** A chunked response made of the given parts, with a trailer. */
    public static Responder chunkedParts(String... parts) {
        return (ctx, request) -> {
            HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            response.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            ctx.write(response);
            for (String part : parts) {
                ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer(part, StandardCharsets.UTF_8)));
            }
            LastHttpContent last = new DefaultLastHttpContent();
            last.trailingHeaders().set("x-checksum", "abc");
            ctx.writeAndFlush(last);
        };
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
