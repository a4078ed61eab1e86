package dev.ballast.proxy.http;

import dev.ballast.proxy.config.LimitsConfig;
import dev.ballast.proxy.config.TrustedProxies;
import dev.ballast.proxy.config.ViaConfig;
import dev.ballast.proxy.loop.BatchedFlushHandler;
import dev.ballast.proxy.route.RouteTable;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpServerCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Builds the channel pipelines of the proxy and holds what every client connection shares: the
 * route table in force, the limits, the request observer, the open-connection count and the
 * draining flag.
 *
 * <pre>
 * client:   BatchedFlushHandler → ClientTimeouts → TlsSniffer → HttpServerCodec → FrontendHandler ─┐ Exchange
 * upstream: BatchedFlushHandler → UpstreamCodec → BackendHandler ◀─────────────────────────────────┘
 * </pre>
 */
public final class ProxyPipeline {

    private static final Logger log = LoggerFactory.getLogger(ProxyPipeline.class);
    /** Body slices handed on per message; larger than a socket read, so one read is one message. */
    private static final int MAX_CHUNK = 64 * 1024;
    /**
     * Requests a client may send ahead of their answers. One read can bring more; the connection then
     * answers those up to the limit, in order, and closes ({@link FrontendHandler}), as RFC 9112 §9.3.2
     * lets a server do.
     */
    static final int MAX_PIPELINE_DEPTH = 128;
    /**
     * The codec's own limit, past what one read can hold (64 KiB of 18-byte requests): at it, the codec
     * closes after the response in progress and every request already taken in goes unanswered, so
     * the frontend's limit above is the one that acts.
     */
    private static final int CODEC_PIPELINE_DEPTH = 8192;
    private static final int UPSTREAM_MAX_HEADER = 64 * 1024;
    private static final long REJECT_LOG_INTERVAL_NANOS = 1_000_000_000L;

    private final Supplier<RouteTable> routes;
    private final Supplier<ViaConfig> viaConfig;
    /** The Via values of the configuration in force, rebuilt only when a reload changes it. */
    private volatile ViaHeader via = ViaHeader.of(ViaConfig.DEFAULT);
    private final Supplier<TrustedProxies> trustedProxies;
    private final LimitsConfig limits;
    private final ChannelGroup clients;
    private final RequestObserver observer;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong lastRejectLog = new AtomicLong(System.nanoTime() - REJECT_LOG_INTERVAL_NANOS);
    private volatile boolean draining;
    private volatile boolean closingAll;

    /**
     * @param routes   the route table in force, read once per request (a reload swaps it)
     * @param via      the {@code via} setting in force, read once per request
     * @param trustedProxies the {@code trusted_proxies} in force, read once per request
     * @param clients  every accepted client connection is added here, for graceful shutdown
     * @param observer told about every request once it is over (metrics, access log)
     */
    public ProxyPipeline(Supplier<RouteTable> routes, Supplier<ViaConfig> via, Supplier<TrustedProxies> trustedProxies,
                         LimitsConfig limits, ChannelGroup clients, RequestObserver observer) {
        this.routes = routes;
        this.viaConfig = via;
        this.trustedProxies = trustedProxies;
        this.limits = limits;
        this.clients = clients;
        this.observer = observer;
    }

    /** What a request forwarded now says in {@code Via}. */
    ViaHeader via() {
        ViaConfig config = viaConfig.get();
        ViaHeader current = via;
        if (current.config() != config) {
            current = ViaHeader.of(config);
            via = current; // two loops may both rebuild it after a reload: equal values, either is right
        }
        return current;
    }

    /** The proxies in front whose forwarding headers are kept, as configured now. */
    TrustedProxies trustedProxies() {
        return trustedProxies.get();
    }

    /** The child handler of a listener. */
    public ChannelHandler clientInitializer() {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel channel) {
                if (open.incrementAndGet() > limits.maxConnections()) {
                    open.decrementAndGet();
                    logRejected(channel);
                    channel.close();
                    return;
                }
                channel.closeFuture().addListener(f -> open.decrementAndGet());
                clients.add(channel);
                HttpDecoderConfig decoder = new HttpDecoderConfig()
                        .setMaxInitialLineLength(limits.maxUriLengthBytes())
                        .setMaxHeaderSize(limits.maxHeaderSizeBytes())
                        .setMaxChunkSize(MAX_CHUNK)
                        // Both Transfer-Encoding and Content-Length is how requests are smuggled past a
                        // proxy (RFC 9112 §6.3): refused with 400 and a close, not quietly re-framed.
                        .setUseRfc9112TransferEncoding(true);
                HttpHeadersFactory counted = CountedHeaders.factory(limits.maxHeaderCount());
                decoder.setHeadersFactory(counted);
                decoder.setTrailersFactory(smallTrailers(counted));
                FrontendHandler frontend = new FrontendHandler(ProxyPipeline.this);
                channel.pipeline().addLast(new BatchedFlushHandler(), frontend.timeouts(), new TlsSniffer(frontend),
                        new HttpServerCodec(decoder, CODEC_PIPELINE_DEPTH), frontend);
            }
        };
    }

    /**
     * The limits on what an upstream sends in a response head, for the data path and the health
     * checks alike: an endpoint that serves requests must not fail its checks on the same headers.
     */
    public static HttpDecoderConfig upstreamResponseLimits() {
        return new HttpDecoderConfig()
                .setMaxHeaderSize(UPSTREAM_MAX_HEADER)
                .setMaxInitialLineLength(UPSTREAM_MAX_HEADER);
    }

    /** The handler of every upstream connection. */
    public static ChannelHandler upstreamInitializer() {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel channel) {
                HttpDecoderConfig decoder = upstreamResponseLimits()
                        .setMaxChunkSize(MAX_CHUNK)
                        // Header names and values are checked as the client side's are: a NUL or a bare CR
                        // from an upstream must not reach clients (RFC 9110 §5.5). It costs nothing
                        // measurable (docs/benchmarks.md, 2026-11-27).
                        .setValidateHeaders(true);
                decoder.setTrailersFactory(smallTrailers(decoder.getTrailersFactory()));
                channel.pipeline().addLast(new BatchedFlushHandler());
                UpstreamCodec.ResponseDecoder responses = UpstreamCodec.addTo(channel.pipeline(), decoder);
                channel.pipeline().addLast(new BackendHandler(responses));
            }
        };
    }

    /**
     * Trailer maps at their smallest: the decoder makes one for every message whose body has a
     * length, and almost none of them ever holds a trailer (a 16-bucket map costs 56 bytes more).
     */
    private static HttpHeadersFactory smallTrailers(HttpHeadersFactory trailers) {
        return new HttpHeadersFactory() {
            @Override
            public HttpHeaders newHeaders() {
                return trailers.newEmptyHeaders();
            }

            @Override
            public HttpHeaders newEmptyHeaders() {
                return trailers.newEmptyHeaders();
            }
        };
    }

    /**
     * Starts a graceful shutdown: idle client connections close now, busy ones after their current
     * response (which says {@code Connection: close}). Stop accepting before calling this.
     */
    public void drain() {
        draining = true;
        for (Channel channel : clients) {
            channel.eventLoop().execute(() -> {
                FrontendHandler frontend = channel.pipeline().get(FrontendHandler.class);
                if (frontend != null) {
                    frontend.drain();
                }
            });
        }
    }

    public boolean draining() {
        return draining;
    }

    /**
     * The drain time ran out: the client connections still open are closed next, and a response
     * under way on one is cut short by the shutdown, not by its client.
     */
    public void markClosingAll() {
        closingAll = true;
    }

    boolean closingAll() {
        return closingAll;
    }

    /** Client connections open now. */
    public int openConnections() {
        return open.get();
    }

    RouteTable routes() {
        return routes.get();
    }

    RequestObserver observer() {
        return observer;
    }

    LimitsConfig limits() {
        return limits;
    }

    private void logRejected(Channel channel) {
        long now = System.nanoTime();
        long last = lastRejectLog.get();
        if (now - last >= REJECT_LOG_INTERVAL_NANOS && lastRejectLog.compareAndSet(last, now)) {
            log.warn("refusing connection from {}: max_connections ({}) reached", channel.remoteAddress(),
                    limits.maxConnections());
        }
    }
}
