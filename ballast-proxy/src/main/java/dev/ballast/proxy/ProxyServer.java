package dev.ballast.proxy;

import dev.ballast.core.time.Scheduler;
import dev.ballast.proxy.admin.AdminEndpoints;
import dev.ballast.proxy.config.ListenerConfig;
import dev.ballast.proxy.config.ProxyConfig;
import dev.ballast.proxy.config.UpstreamConfig;
import dev.ballast.proxy.http.ProxyPipeline;
import dev.ballast.proxy.http.RequestObserver;
import dev.ballast.proxy.route.RouteTable;
import dev.ballast.proxy.upstream.Upstream;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A running proxy: its listeners, admin listener, upstreams and event loops. One event loop per core
 * carries both client and upstream connections; a request never leaves the loop that accepted it.
 *
 * <p>Lifecycle: {@link #start} binds everything or fails with a message naming what could not be
 * bound; {@link #shutdown} stops accepting, lets in-flight requests finish for up to the drain time,
 * then closes. Thread-safe.
 */
public final class ProxyServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

    private final EventLoopGroup group;
    /** The control thread: health check scheduling, ejections, slow-start steps; never an event loop. */
    private final ScheduledThreadPoolExecutor control;
    private final Map<String, Upstream> upstreams;
    private final ProxyPipeline pipeline;
    private final ChannelGroup clients;
    private final List<Channel> listeners = new ArrayList<>();
    private Channel admin;
    private final AtomicBoolean stopped = new AtomicBoolean();

    private ProxyServer(EventLoopGroup group, ScheduledThreadPoolExecutor control, Map<String, Upstream> upstreams,
                        ProxyPipeline pipeline, ChannelGroup clients) {
        this.group = group;
        this.control = control;
        this.upstreams = upstreams;
        this.pipeline = pipeline;
        this.clients = clients;
    }

    /**
     * Starts a proxy for a validated configuration.
     *
     * @throws IllegalStateException when a listener cannot be bound (the message names it)
     */
    public static ProxyServer start(ProxyConfig config) {
        Transport transport = Transport.best();
        int threads = Runtime.getRuntime().availableProcessors();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, transport.ioHandlerFactory());
        ScheduledThreadPoolExecutor control = newControlThread();
        Map<String, Upstream> upstreams = new LinkedHashMap<>();
        try {
            ChannelHandler upstreamInitializer = ProxyPipeline.upstreamInitializer();
            for (UpstreamConfig upstream : config.upstreams().values()) {
                upstreams.put(upstream.name(), Upstream.create(upstream, group, transport.socketChannel(),
                        upstreamInitializer, Scheduler.of(control)));
            }
            RouteTable routes = RouteTable.compile(config.routes(), upstreams);
            ChannelGroup clients = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
            ProxyPipeline pipeline = new ProxyPipeline(() -> routes, config.limits(), clients, RequestObserver.NONE);
            ProxyServer server = new ProxyServer(group, control, Map.copyOf(upstreams), pipeline, clients);
            server.bind(config, transport);
            log.info("ballast proxy listening on {} (admin {}), {} event loops over {}, {} upstream(s), {} route(s)",
                    server.listenerAddresses(), server.adminAddress(), threads, transport.name(),
                    upstreams.size(), config.routes().size());
            return server;
        } catch (RuntimeException e) {
            upstreams.values().forEach(Upstream::close);
            control.shutdownNow();
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw e;
        }
    }

    /**
     * One thread for every upstream's control path, as Envoy's main thread: tasks are short (a check
     * result, a balancer rebuild) and run one at a time. Cancelled timers (the timeouts of checks that
     * answered) leave the queue at once.
     */
    private static ScheduledThreadPoolExecutor newControlThread() {
        ScheduledThreadPoolExecutor control = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().name("ballast-control").daemon().factory());
        control.setRemoveOnCancelPolicy(true);
        return control;
    }

    private void bind(ProxyConfig config, Transport transport) {
        for (ListenerConfig listener : config.listeners()) {
            ServerBootstrap bootstrap = new ServerBootstrap()
                    .group(group)
                    .channel(transport.serverChannel())
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.SO_KEEPALIVE, true)
                    .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                    .childHandler(pipeline.clientInitializer());
            listeners.add(bindOrFail(bootstrap, listener.address().host(), listener.address().port(),
                    "listener '" + listener.name() + "'"));
        }
        if (config.admin() != null && config.admin().address() != null) {
            ServerBootstrap bootstrap = new ServerBootstrap()
                    .group(group)
                    .channel(transport.serverChannel())
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childHandler(AdminEndpoints.initializer());
            admin = bindOrFail(bootstrap, config.admin().address().host(), config.admin().address().port(), "admin");
        }
    }

    private Channel bindOrFail(ServerBootstrap bootstrap, String host, int port, String what) {
        try {
            return bootstrap.bind(new InetSocketAddress(host, port)).sync().channel();
        } catch (Exception e) {
            closeListeners();
            throw new IllegalStateException("cannot bind " + what + " on " + host + ":" + port + ": " + e.getMessage(), e);
        } 
    }

    /** The bound addresses of the listeners, in configuration order (real ports where 0 was asked). */
    public List<InetSocketAddress> listenerAddresses() {
        List<InetSocketAddress> addresses = new ArrayList<>(listeners.size());
        for (Channel listener : listeners) {
            addresses.add((InetSocketAddress) listener.localAddress());
        }
        return addresses;
    }

    /** The admin listener's bound address, or null when there is none. */
    public InetSocketAddress adminAddress() {
        return admin == null ? null : (InetSocketAddress) admin.localAddress();
    }

    public Map<String, Upstream> upstreams() {
        return upstreams;
    }

    /** Client connections open now. */
    public int openConnections() {
        return pipeline.openConnections();
    }

    /**
     * Stops accepting, lets in-flight requests finish for up to {@code drain}, then closes every
     * connection and stops the event loops. Blocks until done; later calls return at once.
     */
    public void shutdown(Duration drain) {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        long deadline = System.nanoTime() + drain.toNanos();
        closeListeners();
        pipeline.drain();
        for (Channel client : clients) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !client.closeFuture().awaitUninterruptibly(left, TimeUnit.NANOSECONDS)) {
                break;
            }
        }
        int unfinished = clients.size();
        if (unfinished > 0 && !drain.isZero()) {
            log.warn("drain time ({} ms) over: closing {} client connection(s) with requests in flight",
                    drain.toMillis(), unfinished);
        }
        clients.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        upstreams.values().forEach(Upstream::close);
        upstreams.values().forEach(Upstream::closeIdleConnections);
        control.shutdownNow();
        if (admin != null) {
            admin.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        log.info("ballast proxy stopped");
    }

    /** Stops at once, without draining. */
    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }

    private void closeListeners() {
        for (Channel listener : listeners) {
            listener.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        }
    }
}
