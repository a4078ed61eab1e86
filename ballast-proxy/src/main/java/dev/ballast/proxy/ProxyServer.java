package dev.ballast.proxy;

import dev.ballast.core.config.HostPort;
import dev.ballast.core.time.Scheduler;
import dev.ballast.proxy.accesslog.AccessLog;
import dev.ballast.proxy.accesslog.LiveAccessLog;
import dev.ballast.proxy.admin.AdminApi;
import dev.ballast.proxy.admin.AdminEvents;
import dev.ballast.proxy.admin.ConfigDigest;
import dev.ballast.proxy.admin.ConfigOrigin;
import dev.ballast.proxy.admin.ProxyControl;
import dev.ballast.proxy.admin.ReloadOutcome;
import dev.ballast.proxy.config.ConfigLoader;
import dev.ballast.proxy.config.ConfigResult;
import dev.ballast.proxy.config.ListenerConfig;
import dev.ballast.proxy.config.ProxyConfig;
import dev.ballast.proxy.config.UpstreamConfig;
import dev.ballast.proxy.http.ProxyPipeline;
import dev.ballast.proxy.http.RequestObserver;
import dev.ballast.proxy.loop.EventLoops;
import dev.ballast.proxy.loop.KernelSlice;
import dev.ballast.proxy.metrics.ProxyMetrics;
import dev.ballast.proxy.route.RouteRule;
import dev.ballast.proxy.upstream.NameLookups;
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
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * A running proxy: its listeners, admin listener, upstreams and event loops. One event loop per core
 * carries both client and upstream connections; a request never leaves the loop that accepted it.
 * The admin API has an event loop of its own, so a slow scrape never delays traffic, and one control
 * thread runs everything that changes upstreams: reloads, health checks, ejections, drains.
 *
 * <p>Lifecycle: {@link #start} binds everything or fails with a message naming what could not be
 * bound; {@link #reload} swaps in a new configuration without dropping a request; {@link #shutdown}
 * stops accepting, lets in-flight requests finish for up to the drain time, then closes. Thread-safe.
 */
public final class ProxyServer implements AutoCloseable, ProxyControl {

    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);
    /** How long a shutdown waits for a reload being applied (it was interrupted) to finish. */
    private static final long RELOAD_FINISH_LIMIT_SECONDS = 10;

    private final Transport transport;
    private final int threads;
    private final EventLoopGroup group;
    /** What came of {@code event_loop_kernel_slice}: the slice the loops run with, or why they have none. */
    private final String kernelSlice;
    private final EventLoopGroup adminGroup;
    /** The control thread: reloads, drains, health check scheduling, ejections; never an event loop. */
    private final ScheduledThreadPoolExecutor control;
    /** Where the configuration came from, for reloads; null for none. */
    private final ConfigSource source;
    private final ChannelGroup clients = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
    private final ChannelHandler upstreamInitializer = ProxyPipeline.upstreamInitializer();
    private final LiveAccessLog accessLog;
    private final ProxyMetrics metrics;
    private final AdminEvents events = new AdminEvents();
    private final Reloader reloader;
    private final ProxyPipeline pipeline;
    private final Map<String, Channel> listeners = new LinkedHashMap<>();
    private Channel admin;
    private volatile AutoCloseable watcher;
    /** Reloads asked for and not yet answered. */
    private final Set<CompletableFuture<ReloadOutcome>> pendingReloads = ConcurrentHashMap.newKeySet();
    /**
     * Reads the configuration source for reloads, one read at a time and in order, off the control
     * thread (a read may wait on etcd, a lookup on DNS); each read's outcome is then applied on the
     * control thread.
     */
    private final ExecutorService configReader = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("ballast-config-read").daemon().factory());
    private volatile boolean ready;
    /** Every upstream of the start had what discovery listed in, or the wait for it ended: see {@link #ready}. */
    private volatile boolean settled;
    /** The upstreams the proxy started with: readiness waits for their discovered names only. */
    private volatile Collection<Upstream> startUpstreams = List.of();
    /** Until when ({@link System#nanoTime()}) readiness waits for those names at most. */
    private volatile long settleByNanos;
    private final AtomicBoolean stopped = new AtomicBoolean();

    private ProxyServer(ProxyConfig config, ConfigSource source, Transport transport) {
        AccessLog openedLog = AccessLog.open(config.accessLog()); // first: it may fail, and nothing is started yet
        this.transport = transport;
        this.source = source;
        this.threads = config.eventLoopCount();
        this.group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("ballast-loop"),
                EventLoops.ioHandlers(transport.ioHandlerFactory(), transport.holdsFlushes(),
                        config.eventLoopSliceMicros()));
        this.kernelSlice = KernelSlice.request(group, config.eventLoopKernelSliceMicros());
        this.adminGroup = new MultiThreadIoEventLoopGroup(1, transport.ioHandlerFactory());
        this.control = newControlThread();
        this.accessLog = new LiveAccessLog(config.accessLog(), openedLog, group);
        this.metrics = new ProxyMetrics(this::connectionsByListener, () -> upstreams().values(), accessLog::dropped,
                this::mirrorTargets, source == null ? null : source.name(),
                () -> source == null ? null : source.followStatus(), () -> ConfigDigest.of(config()));
        this.reloader = new Reloader(this::newUpstream, accessLog, this::retainMetrics);
        this.pipeline = new ProxyPipeline(() -> reloader.current().routes(), () -> reloader.current().config().via(),
                () -> reloader.current().config().trustedProxies(), config.limits(), clients,
                RequestObserver.both(metrics, accessLog.observer()));
    }

    /**
     * One thread for every upstream's control path, as Envoy's main thread: tasks are short (a check
     * result, a balancer rebuild, a reload) and run one at a time. Cancelled timers (the timeouts of
     * checks that answered) leave the queue at once.
     */
    private static ScheduledThreadPoolExecutor newControlThread() {
        ScheduledThreadPoolExecutor control = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().name("ballast-control").daemon().factory());
        control.setRemoveOnCancelPolicy(true);
        return control;
    }

    /** Starts a proxy for a validated configuration that is not reloaded from a file. */
    public static ProxyServer start(ProxyConfig config) {
        return start(config, (ConfigSource) null, false);
    }

    /**
     * Starts a proxy for a validated configuration read from {@code configFile}, which {@link #reload}
     * (SIGHUP in {@code ballast run}, {@code POST /reload}) reads again.
     *
     * @param configFile the file {@code config} was read from, or null for none (no reloads)
     * @param watch      also reload when the file's content changes
     * @throws IllegalStateException when a listener cannot be bound (the message names it)
     */
    public static ProxyServer start(ProxyConfig config, Path configFile, boolean watch) {
        return start(config, configFile == null ? null : ConfigSource.file(configFile), watch);
    }

    /**
     * Starts a proxy for a validated configuration read from {@code source}, which {@link #reload}
     * reads again.
     *
     * @param source where {@code config} was read from, or null for nowhere (no reloads)
     * @param follow also reload when the source says it changed
     * @throws IllegalStateException when a listener cannot be bound (the message names it)
     */
    static ProxyServer start(ProxyConfig config, ConfigSource source, boolean follow) {
        return start(config, source, follow, Transport.of(config.transport()));
    }

    /** As above, on {@code transport} whatever the configuration says: for tests of a transport's failures. */
    static ProxyServer start(ProxyConfig config, ConfigSource source, boolean follow, Transport transport) {
        ProxyServer server = new ProxyServer(config, source, transport);
        try {
            server.serve(config, follow);
            return server;
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    private void serve(ProxyConfig config, boolean follow) {
        LiveConfig live = startOnControlPath(config);
        startUpstreams = List.copyOf(live.upstreams().values());
        bind(config);
        settleByNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.discoveryTimeoutMillis());
        if (source != null && follow) {
            try {
                watcher = source.follow(this::changed);
            } catch (IOException e) {
                log.warn("cannot watch {} ({}): reload with SIGHUP or POST /reload instead", source.name(),
                        e.toString());
            }
        }
        ready = true;
        log.info("ballast proxy listening on {} (admin {}), {} event loops over {} (kernel slice {}),"
                        + " {} upstream(s), {} route(s)", listenerAddresses(), adminAddress(), threads, transport.name(),
                kernelSlice, live.upstreams().size(), config.routes().size());
    }

    /**
     * Builds the first configuration on the control thread, where reloads build theirs: an upstream's
     * health checks, ejections and discovery report there too, so none of their first events can come
     * before metrics and the event log listen to the upstream.
     */
    private LiveConfig startOnControlPath(ProxyConfig config) {
        NameLookups names = NameLookups.of(config.upstreams().values()); // here, not on the control thread
        Future<LiveConfig> started = control.submit(() -> reloader.start(config, names));
        // Waited for whatever happens, as when it ran on this thread: an interrupt must not leave
        // upstreams being built that the caller's close() would not retire. Then the interrupt counts.
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    LiveConfig live = started.get();
                    if (interrupted) {
                        throw new IllegalStateException("interrupted while starting");
                    }
                    return live;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException cause ? cause
                            : new IllegalStateException(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private Upstream newUpstream(UpstreamConfig config, Upstream predecessor, long discoveryDeadlineNanos,
                                 NameLookups names) {
        Upstream upstream = Upstream.create(config, group, transport.socketChannel(), upstreamInitializer,
                Scheduler.of(control), predecessor, discoveryDeadlineNanos, names);
        metrics.watch(upstream);
        events.watch(upstream);
        upstream.onMembersChanged(() -> {
            LiveConfig live = reloader.current();
            if (live != null) { // null while the first configuration is still being built
                retainMetrics(live);
            }
        });
        return upstream;
    }

    /** Forgets the metric series of routes, upstreams and endpoints that are gone. Control path. */
    private void retainMetrics(LiveConfig live) {
        metrics.retain(live.routes().routes(), live.upstreams().values());
    }

    private void bind(ProxyConfig config) {
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
            listeners.put(listener.name(), bindOrFail(bootstrap, listener.address().host(), listener.address().port(),
                    "listener '" + listener.name() + "'"));
        }
        if (config.admin() != null && config.admin().address() != null) {
            AdminApi api = new AdminApi(this, metrics, events, config.admin().token(),
                    config.limits().headerReadTimeoutMillis(), config.limits().clientIdleTimeoutMillis());
            ServerBootstrap bootstrap = new ServerBootstrap()
                    .group(adminGroup)
                    .channel(transport.serverChannel())
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childHandler(api.initializer());
            admin = bindOrFail(bootstrap, config.admin().address().host(), config.admin().address().port(), "admin");
            api.startSampling(admin.eventLoop());
        }
    }

    private Channel bindOrFail(ServerBootstrap bootstrap, String host, int port, String what) {
        String address = new HostPort(host, port).toString();
        InetSocketAddress socket = new InetSocketAddress(host, port);
        if (socket.isUnresolved()) {
            closeListeners();
            throw new IllegalStateException("cannot bind " + what + " on " + address + ": the host name '" + host
                    + "' does not resolve to an address of this machine");
        }
        try {
            return bootstrap.bind(socket).sync().channel();
        } catch (Exception e) {
            closeListeners();
            String reason = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            throw new IllegalStateException("cannot bind " + what + " on " + address + ": " + reason, e);
        }
    }

    /** The bound addresses of the listeners, in configuration order (real ports where 0 was asked). */
    public List<InetSocketAddress> listenerAddresses() {
        return new ArrayList<>(listeners().values());
    }

    /** The admin listener's bound address, or null when there is none. */
    public InetSocketAddress adminAddress() {
        return admin == null ? null : (InetSocketAddress) admin.localAddress();
    }

    @Override
    public String transport() {
        return transport.name();
    }

    @Override
    public ConfigOrigin configOrigin() {
        return source == null ? null : new ConfigOrigin(source.name(), source.followStatus());
    }

    @Override
    public int eventLoops() {
        return threads;
    }

    @Override
    public String kernelSlice() {
        return kernelSlice;
    }

    /** Client connections open now. */
    public int openConnections() {
        return pipeline.openConnections();
    }

    // ---- reload ----

    /**
     * Reads the configuration again and applies it if it is valid; an invalid one is logged with
     * {@code ballast validate}'s messages and changes nothing. Reads off the control thread, applies on it.
     */
    @Override
    public CompletableFuture<ReloadOutcome> reload(String trigger) {
        if (source == null) {
            return CompletableFuture.failedFuture(
                    new IllegalStateException("this proxy was not started from a configuration file or etcd key"));
        }
        return reloadWith(source::load, trigger);
    }

    /** The source changed: {@code text} is the new document, or null to read it again. */
    private void changed(String trigger, String text) {
        if (text == null) {
            reload(trigger);
        } else {
            reloadWith(() -> ConfigLoader.parse(text, source.name()), trigger);
        }
    }

    /**
     * Reads on the config reader, and looks the endpoints' names up there too (a lookup may take
     * seconds, which the control path cannot spare), then applies on the control thread. Both run one
     * task at a time, and the reader hands each apply to the control thread itself, so reloads apply in
     * the order they were asked for: a read that started before a change cannot be applied after it.
     */
    private CompletableFuture<ReloadOutcome> reloadWith(Supplier<ConfigResult> read, String trigger) {
        return onConfigReader(() -> {
            ConfigResult result = read.get();
            NameLookups names = result.ok() ? NameLookups.of(result.config().upstreams().values()) : NameLookups.NONE;
            return onControlPath(() -> reloader.load(result, names, source.name(), trigger));
        });
    }

    /** Applies a validated configuration, as a reload does: its names looked up on the config reader first. */
    public CompletableFuture<ReloadOutcome> apply(ProxyConfig next, String trigger) {
        return onConfigReader(() -> {
            NameLookups names = NameLookups.of(next.upstreams().values());
            return onControlPath(() -> reloader.apply(next, names, trigger, List.of()));
        });
    }

    /**
     * Runs {@code task} on the config reader; it hands its apply to the control thread. A task that
     * fails is logged and answered as a rejected reload, on the control thread as an apply that fails is.
     */
    private CompletableFuture<ReloadOutcome> onConfigReader(Supplier<CompletableFuture<ReloadOutcome>> task) {
        try {
            return tracked(CompletableFuture.supplyAsync(() -> {
                try {
                    return task.get();
                } catch (RuntimeException e) {
                    return onControlPath(() -> {
                        throw e;
                    });
                }
            }, configReader).thenCompose(applied -> applied));
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(stoppedBeforeApplied());
        }
    }

    /** How a reload asked for while the proxy stops ends, whether it was queued or came too late. */
    private static IllegalStateException stoppedBeforeApplied() {
        return new IllegalStateException("the proxy stopped before this reload was applied");
    }

    /** Kept until it completes, so that a shutdown can answer a reload it dropped from a queue. */
    private CompletableFuture<ReloadOutcome> tracked(CompletableFuture<ReloadOutcome> reload) {
        pendingReloads.add(reload);
        reload.whenComplete((outcome, error) -> pendingReloads.remove(reload));
        return reload;
    }

    private CompletableFuture<ReloadOutcome> onControlPath(Supplier<ReloadOutcome> reload) {
        try {
            return applyOnControlPath(reload);
        } catch (RejectedExecutionException e) { // the read ended after the stop had begun
            return CompletableFuture.failedFuture(stoppedBeforeApplied());
        }
    }

    private CompletableFuture<ReloadOutcome> applyOnControlPath(Supplier<ReloadOutcome> reload) {
        return CompletableFuture.supplyAsync(() -> {
            ReloadOutcome outcome;
            try {
                outcome = reload.get();
            } catch (RuntimeException e) {
                log.error("reload failed unexpectedly; still serving configuration {}", generation(), e);
                outcome = ReloadOutcome.rejected("error", generation(), List.of(String.valueOf(e.getMessage())),
                        List.of());
            }
            metrics.reloaded(outcome.applied());
            events.record(outcome);
            return outcome;
        }, control);
    }

    // ---- ProxyControl ----

    @Override
    public ProxyConfig config() {
        return reloader.current().config();
    }

    @Override
    public int generation() {
        return reloader.current().generation();
    }

    @Override
    public Instant loadedAt() {
        return reloader.current().loadedAt();
    }

    /** The upstreams in force that some route mirrors requests to. */
    private Set<Upstream> mirrorTargets() {
        return reloader.current().routes().mirrorTargets();
    }

    @Override
    public List<RouteRule> routes() {
        return reloader.current().routes().rules();
    }

    @Override
    public Map<String, Upstream> upstreams() {
        return reloader.current().upstreams();
    }

    @Override
    public InForce inForce() {
        LiveConfig live = reloader.current();
        return new InForce(live.generation(), live.loadedAt(), live.config(), live.routes().rules(), live.upstreams());
    }

    @Override
    public Map<String, InetSocketAddress> listeners() {
        Map<String, InetSocketAddress> addresses = new LinkedHashMap<>();
        listeners.forEach((name, channel) -> addresses.put(name, (InetSocketAddress) channel.localAddress()));
        return addresses;
    }

    /** Counted from the open client connections at call time: nothing is counted on the data path. */
    @Override
    public Map<String, Integer> connectionsByListener() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        listeners.forEach((name, listener) -> {
            int count = 0;
            for (Channel client : clients) {
                if (client.parent() == listener) {
                    count++;
                }
            }
            counts.put(name, count);
        });
        return counts;
    }

    /**
     * Listening, and what discovery listed at start is in, its names looked up (a start does not wait
     * for those lookups: a slow resolver holds up no other upstream), or the longest {@code etcd.timeout}
     * has passed since the listeners were bound. Only the start's upstreams count: once true it stays
     * so until shutdown, and a reload that adds an upstream does not take a serving proxy out of rotation.
     */
    @Override
    public boolean ready() {
        if (!ready) {
            return false;
        }
        if (!settled && (System.nanoTime() - settleByNanos >= 0
                || startUpstreams.stream().allMatch(Upstream::settled))) {
            settled = true; // only ever set: every caller sees it go one way
        }
        return settled;
    }

    @Override
    public Executor controlPath() {
        return control;
    }

    // ---- shutdown ----

    /**
     * Stops accepting, lets in-flight requests finish for up to {@code drain}, then closes every
     * connection and stops the event loops. Blocks until done; later calls return at once.
     */
    public void shutdown(Duration drain) {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        ready = false;
        if (watcher != null) {
            try {
                watcher.close();
            } catch (Exception e) {
                log.debug("stopping to follow {}: {}", source.name(), e.toString());
            }
        }
        configReader.shutdownNow();
        long deadline = System.nanoTime() + drain.toNanos();
        closeListeners();
        pipeline.drain();
        awaitClientsClosed(deadline);
        // Counted by state, not by the group's size: a connection that just closed may not have left it yet.
        long unfinished = clients.stream().filter(Channel::isOpen).count();
        if (unfinished > 0 && !drain.isZero()) {
            log.warn("drain time ({} ms) over: closing {} client connection(s) with requests in flight",
                    drain.toMillis(), unfinished);
        }
        pipeline.markClosingAll();
        clients.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        control.shutdownNow();
        try {
            // A reload being applied finishes first (interrupted, a wait for etcd ends early), so that
            // what is retired below is what it swapped in, not what it replaced.
            if (!control.awaitTermination(RELOAD_FINISH_LIMIT_SECONDS, TimeUnit.SECONDS)) {
                log.warn("a reload still running after {} s; stopping without it", RELOAD_FINISH_LIMIT_SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (CompletableFuture<ReloadOutcome> dropped : pendingReloads) {
            dropped.completeExceptionally(stoppedBeforeApplied());
        }
        LiveConfig live = reloader.current();
        if (live != null) {
            // One upstream's fault must not keep the listeners, loops and access log below from closing.
            for (Upstream upstream : live.upstreams().values()) {
                try {
                    upstream.retire();
                } catch (RuntimeException e) {
                    log.warn("retiring upstream {} at shutdown failed: {}", upstream.name(), e.toString());
                }
            }
        }
        if (admin != null) {
            admin.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        }
        adminGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        adminGroup.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        accessLog.close();
        log.info("ballast proxy stopped");
    }

    /**
     * Waits until no client connection is open or the deadline passes. The group is looked at afresh
     * after each close: a connection accepted just before the listeners closed may join it only now.
     */
    private void awaitClientsClosed(long deadline) {
        while (true) {
            Channel open = clients.stream().filter(Channel::isOpen).findFirst().orElse(null);
            long left = deadline - System.nanoTime();
            if (open == null || left <= 0) {
                return;
            }
            open.closeFuture().awaitUninterruptibly(left, TimeUnit.NANOSECONDS);
        }
    }

    /** Stops at once, without draining. */
    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }

    private void closeListeners() {
        for (Channel listener : listeners.values()) {
            listener.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        }
    }
}
