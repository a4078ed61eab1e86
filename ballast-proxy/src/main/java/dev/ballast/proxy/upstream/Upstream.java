package dev.ballast.proxy.upstream;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.pick.Balancer;
import dev.ballast.core.pick.BalancerOptions;
import dev.ballast.core.pick.PickContext;
import dev.ballast.core.pick.PickResult;
import dev.ballast.core.pick.Policies;
import dev.ballast.core.state.EndpointState;
import dev.ballast.proxy.config.UpstreamConfig;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;

import java.net.InetSocketAddress;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One entry of {@code upstreams}: the balancer over its endpoints and a connection pool per event
 * loop. Thread-safe: {@link #pick} is the core's lock-free pick, {@link #pool} a read of a map that
 * never changes after construction.
 */
public final class Upstream {

    private final UpstreamConfig config;
    private final Balancer balancer;
    private final long responseTimeoutNanos;
    /** Endpoint addresses resolved once on the control path, so the event loops never block on DNS. */
    private final Map<String, InetSocketAddress> addresses = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> openConnections = new ConcurrentHashMap<>();
    private final Map<EventExecutor, ConnectionPool> pools = new IdentityHashMap<>();

    private Upstream(UpstreamConfig config, EventLoopGroup group, Class<? extends Channel> channelType,
                     ChannelHandler connectionInitializer) {
        this.config = config;
        BalancerOptions options = BalancerOptions.defaults().withBoundedLoad(config.boundedLoadFactor());
        this.balancer = Balancer.builder(Policies.of(config.balancer(), options))
                .maxRequestsPerEndpoint(config.pool().maxConnectionsPerEndpoint())
                .build();
        this.responseTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(config.responseTimeoutMillis());
        for (Endpoint endpoint : config.endpoints()) {
            addresses.put(endpoint.address(), new InetSocketAddress(endpoint.host(), endpoint.port()));
        }
        balancer.setEndpoints(config.endpoints());
        for (EventExecutor executor : group) {
            EventLoop loop = (EventLoop) executor;
            Bootstrap bootstrap = new Bootstrap()
                    .group(loop)
                    .channel(channelType)
                    .option(ChannelOption.AUTO_READ, false)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.SO_KEEPALIVE, true)
                    .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, config.connectTimeoutMillis()))
                    .handler(connectionInitializer);
            pools.put(loop, new ConnectionPool(this, loop, bootstrap));
        }
    }

    /**
     * Builds the upstream and its balancer.
     *
     * @param group                 the event loops that will carry its requests: one pool per loop
     * @param channelType           the socket channel class of the group's transport
     * @param connectionInitializer a sharable initializer for new upstream connections (the HTTP codec)
     * @throws IllegalArgumentException for an unknown balancer id
     */
    public static Upstream create(UpstreamConfig config, EventLoopGroup group, Class<? extends Channel> channelType,
                                  ChannelHandler connectionInitializer) {
        return new Upstream(config, group, channelType, connectionInitializer);
    }

    public String name() {
        return config.name();
    }

    public UpstreamConfig config() {
        return config;
    }

    public Balancer balancer() {
        return balancer;
    }

    public long responseTimeoutNanos() {
        return responseTimeoutNanos;
    }

    /** Picks an endpoint; on {@link PickResult.Picked} the caller must release its slot exactly once. */
    public PickResult pick(PickContext context) {
        return balancer.pick(context);
    }

    /** The pool of {@code loop}, which must be one of the group this upstream was created with. */
    public ConnectionPool pool(EventLoop loop) {
        ConnectionPool pool = pools.get(loop);
        if (pool == null) {
            throw new IllegalArgumentException("event loop " + loop + " is not one of upstream " + name() + "'s");
        }
        return pool;
    }

    /** Closes the idle connections of every loop; in-flight ones finish on their own. */
    public void closeIdleConnections() {
        for (ConnectionPool pool : pools.values()) {
            pool.eventLoop().execute(pool::closeIdle);
        }
    }

    InetSocketAddress addressOf(EndpointState endpoint) {
        // An endpoint added after start (a later reload) is resolved here once, then cached.
        return addresses.computeIfAbsent(endpoint.address(),
                a -> new InetSocketAddress(endpoint.endpoint().host(), endpoint.endpoint().port()));
    }

    AtomicInteger openCounter(EndpointState endpoint) {
        return openConnections.computeIfAbsent(endpoint.address(), a -> new AtomicInteger());
    }

    @Override
    public String toString() {
        return "Upstream[" + name() + ", " + balancer.policy() + ", " + config.endpoints() + "]";
    }
}
