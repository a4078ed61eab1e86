package dev.ballast.proxy.upstream;

import dev.ballast.core.resilience.CircuitBreaker;
import dev.ballast.core.state.EndpointState;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;

import java.net.InetSocketAddress;
import java.util.IdentityHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The keep-alive connections of one upstream on one event loop (Envoy's thread-local pools, Armeria's
 * {@code HttpChannelPool}). Requests of a client connection take upstream connections of the same
 * loop, so a request never crosses threads and the pool needs no lock. Every method must be called
 * on {@link #eventLoop()}.
 */
public final class ConnectionPool {

    private final Upstream upstream;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final IdentityHashMap<EndpointState, EndpointPool> byEndpoint = new IdentityHashMap<>();
    private ScheduledFuture<?> sweep;
    /** The upstream left the configuration: connections close when their request ends. */
    private boolean retired;

    ConnectionPool(Upstream upstream, EventLoop loop, Bootstrap bootstrap) {
        this.upstream = upstream;
        this.loop = loop;
        this.bootstrap = bootstrap;
    }

    public EventLoop eventLoop() {
        return loop;
    }

    /**
     * Hands {@code callback} an idle connection to {@code endpoint} at once, or opens a new one and
     * calls back when it is ready or has failed.
     */
    public void acquire(EndpointState endpoint, ConnectCallback callback) {
        EndpointPool pool = poolOf(endpoint);
        UpstreamConnection idle = pool.pollIdle();
        if (idle != null) {
            idle.startExchange();
            callback.connected(idle);
            return;
        }
        connect(pool, callback);
    }

    /** Opens a new connection even if idle ones exist: for a retry after a reused one failed. */
    public void connect(EndpointState endpoint, ConnectCallback callback) {
        connect(poolOf(endpoint), callback);
    }

    private void connect(EndpointPool pool, ConnectCallback callback) {
        connect(pool, callback, true);
    }

    /**
     * Opens a connection within the limits: the upstream's {@code max_pending_requests} (held while
     * connecting) and {@code max_connections} (held while open), then the endpoint's own. Refused by
     * a connection limit, it first has another loop close an idle connection that counts against it
     * ({@code mayShed}, once), and connects when that one is closed.
     */
    private void connect(EndpointPool pool, ConnectCallback callback, boolean mayShed) {
        CircuitBreaker breaker = upstream.breaker();
        CircuitBreaker.Admission pending = breaker.tryAcquirePendingRequest();
        if (!pending.admitted()) {
            callback.circuitBreakerOpen(pending);
            return;
        }
        CircuitBreaker.Admission connections = breaker.tryAcquireConnection();
        if (!connections.admitted()) {
            breaker.releasePendingRequest();
            if (mayShed) {
                upstream.shedIdle(loop, null, () -> connectIfWanted(pool, callback),
                        () -> callback.circuitBreakerOpen(connections));
            } else {
                callback.circuitBreakerOpen(connections);
            }
            return;
        }
        int limit = upstream.config().pool().maxConnectionsPerEndpoint();
        if (!pool.tryReserve(limit)) {
            breaker.releasePendingRequest();
            breaker.releaseConnection();
            if (mayShed) {
                upstream.shedIdle(loop, pool.endpoint, () -> connectIfWanted(pool, callback),
                        () -> callback.connectionLimitReached(limit));
            } else {
                callback.connectionLimitReached(limit);
            }
            return;
        }
        int generation = pool.addressGeneration();
        ChannelFuture future = bootstrap.connect(pool.address());
        future.addListener((ChannelFutureListener) f -> {
            if (!loop.inEventLoop()) {
                // A socket that could not even be made (no file descriptor left, say) fails on Netty's
                // global executor; the pool and the exchange belong to this loop.
                loop.execute(() -> connectDone(f, pool, generation, breaker, callback));
                return;
            }
            connectDone(f, pool, generation, breaker, callback);
        });
    }

    private void connectDone(ChannelFuture f, EndpointPool pool, int generation, CircuitBreaker breaker,
            ConnectCallback callback) {
        breaker.releasePendingRequest();
        if (!f.isSuccess()) {
            pool.unreserve();
            breaker.releaseConnection();
            callback.connectFailed(f.cause());
            return;
        }
        Channel channel = f.channel();
        UpstreamConnection connection = new UpstreamConnection(channel, pool.endpoint, pool, generation);
        channel.closeFuture().addListener(closed -> {
            pool.closed(connection);
            breaker.releaseConnection();
        });
        startSweep();
        connection.startExchange();
        callback.connected(connection);
    }

    /**
     * Gives a connection back. A connection is kept only when {@code reusable} (the exchange on it
     * completed cleanly and both sides allow keep-alive) and fewer than {@code max_idle_per_endpoint}
     * are idle, and its endpoint is not draining; any other is closed, so a connection that failed
     * mid-response is never reused.
     */
    public void release(UpstreamConnection connection, boolean reusable) {
        Channel channel = connection.channel();
        if (reusable && channel.isActive() && !retired && !connection.pool.endpoint.isDraining()
                && connection.pool.isCurrent(connection)
                && connection.pool.offer(connection, upstream.config().pool().maxIdlePerEndpoint(), System.nanoTime())) {
            // Keep a read pending while idle, so that a close or stray bytes from the server are noticed
            // at once instead of when the next request is written.
            channel.read();
            return;
        }
        channel.close();
    }

    /** Room was made under a limit: connects, unless the request has gone meanwhile (then the room is left). */
    private void connectIfWanted(EndpointPool pool, ConnectCallback callback) {
        if (callback.stillWanted()) {
            connect(pool, callback, false);
        }
    }

    /**
     * Closes one of this loop's idle connections to {@code endpoint} (the oldest), or to any endpoint
     * when null, for a request that needs its slot, unless another loop already did; then answers.
     * A connection that a request needs now is worth more than one kept idle.
     */
    void shedIdleFor(EndpointState endpoint, IdleShed shed) {
        EndpointPool owner = null;
        if (!shed.claimed()) {
            if (endpoint != null) {
                EndpointPool pool = byEndpoint.get(endpoint);
                owner = pool != null && pool.hasIdle() ? pool : null;
            } else {
                for (EndpointPool pool : byEndpoint.values()) {
                    if (pool.hasIdle()) {
                        owner = pool;
                        break;
                    }
                }
            }
        }
        if (owner != null && shed.claim()) {
            owner.closeOldestIdle().addListener(closed -> shed.freed());
        }
        shed.answered();
    }

    void closeIdleTo(EndpointState endpoint) {
        EndpointPool pool = byEndpoint.get(endpoint);
        if (pool != null) {
            pool.closeAll();
        }
    }

    void closeIdle() {
        if (sweep != null) {
            sweep.cancel(false);
            sweep = null;
        }
        for (EndpointPool pool : byEndpoint.values()) {
            pool.closeAll();
        }
    }

    /** After a reload: endpoints that left the upstream keep no idle connections, and get none back. */
    void forgetRemovedEndpoints() {
        byEndpoint.values().removeIf(pool -> {
            boolean removed = upstream.balancer().registry().get(pool.endpoint.address()) != pool.endpoint;
            if (removed) {
                pool.retire();
            }
            return removed;
        });
    }

    /** {@code endpoint}'s host name resolves to {@code address} now (see {@link Upstream}'s DNS refresh). */
    void readdress(EndpointState endpoint, InetSocketAddress address) {
        EndpointPool pool = byEndpoint.get(endpoint);
        if (pool != null) {
            pool.readdress(address);
        }
    }

    /** The upstream was removed from the configuration: close idle connections, keep none from now on. */
    void retire() {
        retired = true;
        closeIdle();
    }

    private EndpointPool poolOf(EndpointState endpoint) {
        EndpointPool pool = byEndpoint.get(endpoint);
        if (pool == null) {
            if (upstream.balancer().registry().get(endpoint.address()) != endpoint) {
                // Left at a reload while a request to it was in flight (a replay on a fresh connection):
                // one last connection, kept by no pool, closed when that request ends.
                EndpointPool last = new EndpointPool(endpoint, upstream.addressOf(endpoint), new AtomicInteger());
                last.retire();
                return last;
            }
            pool = new EndpointPool(endpoint, upstream.addressOf(endpoint), upstream.openCounter(endpoint));
            byEndpoint.put(endpoint, pool);
        }
        return pool;
    }

    /** True while the idle sweep is scheduled; on the loop, for tests. */
    boolean sweeping() {
        return sweep != null;
    }

    /** One timer per pool, started with the first connection: no per-request timer for idle expiry. */
    private void startSweep() {
        long idleNanos = TimeUnit.MILLISECONDS.toNanos(upstream.config().idleTimeoutMillis());
        if (sweep != null || retired || idleNanos <= 0) {
            return; // retired: nothing is kept idle, and a sweep would keep the old upstream alive
        }
        long period = Math.clamp(idleNanos / 4, TimeUnit.MILLISECONDS.toNanos(10), TimeUnit.SECONDS.toNanos(15));
        sweep = loop.scheduleAtFixedRate(() -> {
            long cutoff = System.nanoTime() - idleNanos;
            for (EndpointPool pool : byEndpoint.values()) {
                pool.closeIdleSince(cutoff);
            }
        }, period, period, TimeUnit.NANOSECONDS);
    }
}
