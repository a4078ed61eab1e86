package dev.ballast.proxy.admin;

import dev.ballast.proxy.config.ProxyConfig;
import dev.ballast.proxy.route.RouteRule;
import dev.ballast.proxy.upstream.Upstream;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The running proxy as the admin API sees it. Reads are cheap and may come from any thread; changes
 * (reload, drain) run on {@link #controlPath()}, the one thread that changes upstreams.
 */
public interface ProxyControl {

    /** The effective configuration in force (see {@code GET /config}). */
    ProxyConfig config();

    /** 1 for the configuration the proxy started with, one more per applied reload. */
    int generation();

    /** When the configuration in force was applied. */
    Instant loadedAt();

    /** The routes in force, in match order. */
    List<RouteRule> routes();

    /** The upstreams in force, by name in file order. */
    Map<String, Upstream> upstreams();

    /** The configuration in force as one reload left it: its parts read together, no reload between. */
    InForce inForce();

    /** See {@link #inForce()}. */
    record InForce(int generation, Instant loadedAt, ProxyConfig config, List<RouteRule> routes,
                   Map<String, Upstream> upstreams) {
    }

    /** Bound listener addresses by listener name, in file order. */
    Map<String, InetSocketAddress> listeners();

    /** Client connections open now, by listener name. */
    Map<String, Integer> connectionsByListener();

    /**
     * True once the configuration is loaded, every listener is bound and the names discovery listed at
     * start are looked up (or {@code etcd.timeout} passed), until shutdown starts.
     */
    boolean ready();

    /** The I/O transport the event loops run on ({@code io_uring}, {@code epoll} or {@code nio}). */
    String transport();

    /** The event loops serving connections. */
    int eventLoops();

    /**
     * The scheduler slice the event loops asked for and run with ({@code "100us"}), {@code "off"}, or
     * {@code "not in force"} and why ({@code event_loop_kernel_slice}).
     */
    default String kernelSlice() {
        return "off";
    }

    /** Where the configuration was read from; null when it was given in code (tests, {@code demo}). */
    default ConfigOrigin configOrigin() {
        return null;
    }

    /**
     * Reads the configuration again (its file or etcd key) and applies it if it is valid. Completes on
     * the control path; completes exceptionally with {@link IllegalStateException} when the proxy was
     * not started from a file or key.
     */
    CompletableFuture<ReloadOutcome> reload(String trigger);

    /** Runs control-path work one task at a time, with the reloads, health checks and ejections. */
    Executor controlPath();
}
