package dev.ballast.proxy.upstream;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.endpoint.EndpointSource;
import dev.ballast.core.endpoint.Watch;
import dev.ballast.core.health.HealthListener;
import dev.ballast.core.health.HealthMonitor;
import dev.ballast.core.outlier.OutlierDetection;
import dev.ballast.core.outlier.OutlierDetector;
import dev.ballast.core.outlier.OutlierListener;
import dev.ballast.core.pick.Balancer;
import dev.ballast.core.pick.BalancerOptions;
import dev.ballast.core.pick.PickContext;
import dev.ballast.core.pick.PickResult;
import dev.ballast.core.pick.Policies;
import dev.ballast.core.resilience.CircuitBreaker;
import dev.ballast.core.resilience.RetryBudget;
import dev.ballast.core.resilience.RetryPolicy;
import dev.ballast.core.state.EndpointState;
import dev.ballast.core.state.Health;
import dev.ballast.core.time.Scheduler;
import dev.ballast.proxy.config.HealthCheckConfig;
import dev.ballast.proxy.config.ResilienceConfig;
import dev.ballast.proxy.config.UpstreamConfig;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.resolver.NoopAddressResolverGroup;
import io.netty.util.concurrent.EventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * One entry of {@code upstreams}: the balancer over its endpoints, what keeps failing endpoints out
 * of it (active health checks, outlier detection, panic mode, slow start), what wraps each request
 * (circuit breaker, retry policy and budget) and a connection pool per event loop.
 *
 * <p>Two paths. The control path (health checks, ejections, re-admissions, slow-start steps) runs on
 * the {@code control} scheduler given at creation, one task at a time, and republishes the balancer's
 * snapshot; health probes themselves are non-blocking I/O on the event loops. The data path ({@link
 * #pick}, {@link #outliers()}{@code .record}, the breaker and the budget) is lock-free and
 * allocation-free on the event loops.
 *
 * <p>Thread-safe. {@link #close} stops the control path; connections close with {@link
 * #closeIdleConnections} and their requests.
 */
public final class Upstream implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Upstream.class);

    /** Volatile: a reload may change endpoints, balancer and hash key in place ({@link #update}). */
    private volatile UpstreamConfig config;
    private final Balancer balancer;
    private final OutlierDetector outliers;
    /** Null when the upstream has no {@code health_check}. */
    private final HealthMonitor health;
    private final CircuitBreaker breaker;
    private final RetryPolicy retryPolicy;
    private final RetryBudget retryBudget;
    private final long perTryTimeoutNanos;
    private final LongAdder retries = new LongAdder();
    /** Mirrored copies of requests this upstream got, by {@link MirrorOutcome}. */
    private final LongAdder[] mirrored = new LongAdder[MirrorOutcome.values().length];
    private final UpstreamEvents events = new UpstreamEvents();
    private final long responseTimeoutNanos;
    /**
     * Endpoint addresses, resolved off the event loops and off the control path (a start or reload looks
     * its names up before it applies, discovery looks up what etcd lists, then {@link DnsRefresh}), so
     * neither ever waits on DNS.
     */
    private final Map<String, InetSocketAddress> addresses = new ConcurrentHashMap<>();
    /** Looks endpoint host names up again every {@code dns_refresh}. */
    private final DnsRefresh dns;
    /** What DNS changes: told by {@link #dns}, and by a reload whose lookups moved a member. */
    private final Names dnsTarget = new Names();
    /** The members that {@code resolve: all} endpoints stand for. Control path. */
    private final NameExpansion expansion;
    private final Map<String, AtomicInteger> openConnections = new ConcurrentHashMap<>();
    /** Follows the upstream's etcd prefix ({@code discovery}); null when it has none. */
    private final Watch discovery;
    /**
     * What the predecessor's watch had handed on, when this upstream was seeded from it: shown by
     * {@link #discoveryStatus} until this upstream's own watch has read, so a rebuild during an etcd
     * outage does not show 0 keys while the predecessor's endpoints serve.
     */
    private final Watch.Status seededStatus;
    private final DiscoveryTarget discoveryTarget;
    /**
     * Set when the constructor is done: discovery changes before it are applied by the constructor, and
     * the members until then (configured, and listed by discovery's first read) are first members, at
     * full weight; those that join later ramp up.
     */
    private volatile boolean started;
    /**
     * True once what discovery listed first is in whole, its names looked up: before that a proxy that
     * just started is not ready. True from the start without discovery, for one that took its
     * predecessor's endpoints, and when etcd did not answer by the start's deadline.
     */
    private volatile boolean settled;
    /** Built by a reload in place of an upstream of the same name. */
    private final boolean rebuilt;
    /** The generation of discovery's first read; control path only. */
    private long firstGeneration = -1;
    /** While the names of discovery's first read join after the start; control path only. */
    private boolean firstReadJoining;
    /** The endpoints discovery lists now, after the configured ones. Written on the control path. */
    private volatile List<Endpoint> discovered = List.of();
    private final Scheduler control;
    private volatile boolean closed;
    /** Told on the control path after DNS or discovery changed the members; a reload tells its own listeners. */
    private volatile Runnable membersChanged = () -> { };
    private final Map<EventExecutor, ConnectionPool> pools = new IdentityHashMap<>();

    private Upstream(UpstreamConfig config, EventLoopGroup group, Class<? extends Channel> channelType,
                     ChannelHandler connectionInitializer, Scheduler control, Upstream predecessor,
                     long discoveryDeadlineNanos, NameLookups names) {
        this.config = config;
        this.rebuilt = predecessor != null;
        ResilienceConfig resilience = config.resilience();
        BalancerOptions options = BalancerOptions.defaults().withBoundedLoad(config.boundedLoadFactor());
        this.balancer = Balancer.builder(Policies.of(config.balancer(), options))
                .name("upstream " + config.name())
                .scheduler(control)
                .panicThreshold(resilience.panicThreshold())
                .slowStart(resilience.slowStart())
                .maxRequestsPerEndpoint(config.pool().maxConnectionsPerEndpoint())
                .build();
        this.responseTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(config.responseTimeoutMillis());
        Arrays.setAll(mirrored, i -> new LongAdder());
        this.control = control;
        this.expansion = new NameExpansion(config.name());
        this.discoveryTarget = config.discovery() == null ? null : new DiscoveryTarget();
        // Looked up before anything starts: a missing module must not leave checks or refreshes running.
        EndpointSource discoverySource = config.discovery() == null ? null : config.discovery().provider();
        // A rebuild of an upstream that follows the same prefix starts from what its predecessor follows
        // (even if the cluster's settings changed, say to replace a dead member): no wait, and nothing
        // lost should etcd be away just now.
        boolean seeded = discoveryTarget != null && predecessor != null && predecessor.config().discovery() != null
                && config.discovery().prefix().equals(predecessor.config().discovery().prefix());
        if (seeded) {
            discovered = predecessor.discovered;
        }
        // What the predecessor shows, itself seeded if a reload rebuilt it too while etcd was down.
        this.seededStatus = seeded ? predecessor.discoveryStatus().orElse(null) : null;
        if (predecessor != null) {
            // A name the reload could not resolve keeps what the upstream it replaces had, in either mode.
            for (Endpoint endpoint : config.endpoints()) {
                List<InetAddress> had = predecessor.knownAddresses(endpoint);
                if (config.resolvesAll(endpoint) && !names.resolved(endpoint) && !had.isEmpty()) {
                    expansion.seed(endpoint, had, names.failure(endpoint));
                }
            }
        }
        List<Endpoint> members = members(true, names);
        for (Endpoint endpoint : members) {
            // What the upstream it replaces used, unless the lookup says otherwise (as an update keeps
            // it); etcd's endpoints were looked up by discovery.
            InetSocketAddress previous = predecessor == null ? null : predecessor.lastAddress(endpoint);
            InetSocketAddress chosen = chooseAddress(endpoint, previous, names);
            addresses.put(endpoint.address(), chosen != null ? chosen : names.addressOf(endpoint));
        }
        balancer.setFirstMembers(members);
        if (predecessor != null) {
            inheritVerdicts(predecessor, resilience.healthCheck() != null);
        }
        try {
            this.breaker = resilience.circuitBreaker().newBreaker();
            this.retryPolicy = resilience.retries().policy();
            this.retryBudget = resilience.retries().newBudget();
            this.perTryTimeoutNanos = resilience.retries().perTryTimeout().toNanos();
            this.outliers = outlierDetector(resilience.outlierDetection(), control);
            HealthCheckConfig check = resilience.healthCheck();
            if (check == null) {
                this.health = null;
            } else {
                Bootstrap probes = new Bootstrap()
                        .group(group)
                        .resolver(NoopAddressResolverGroup.INSTANCE) // as the pools' below: no lookup on a loop
                        .channel(channelType)
                        .option(ChannelOption.TCP_NODELAY, true)
                        .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT);
                this.health = HealthMonitor.builder(balancer, HealthChecks.of(check, config, probes, this::addressOf),
                                check.settings())
                        .scheduler(control)
                        .name(config.name())
                        .listener(events)
                        .build();
                health.sync();
            }
            this.dns = new DnsRefresh(config.name(), config.dnsRefreshMillis(), control, dnsTarget);
            for (EventExecutor executor : group) {
                EventLoop loop = (EventLoop) executor;
                Bootstrap bootstrap = new Bootstrap()
                        .group(loop)
                        // Names are resolved by DnsRefresh, off the loops: an address still unresolved fails
                        // its connect at once instead of blocking the event loop on a lookup.
                        .resolver(NoopAddressResolverGroup.INSTANCE)
                        .channel(channelType)
                        .option(ChannelOption.AUTO_READ, false)
                        .option(ChannelOption.TCP_NODELAY, true)
                        .option(ChannelOption.SO_KEEPALIVE, true)
                        .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, config.connectTimeoutMillis()))
                        .handler(connectionInitializer);
                pools.put(loop, new ConnectionPool(this, loop, bootstrap));
            }
            dns.start();
            // The watch last: the constructor waits for its first read.
            this.discovery = discoveryTarget == null ? null
                    : discoverySource.watch(config.discovery().target("upstream " + config.name()),
                            discoveryTarget::changed);
            if (discovery != null) {
                discovery.start();
                if (!seeded) {
                    Listing first = discoveryTarget.awaitFirstRead(discoveryDeadlineNanos);
                    if (first != null) {
                        if (!first.endpoints().isEmpty()) {
                            discovered = first.endpoints();
                            applyMembers(false, first.joining());
                        }
                        firstGeneration = first.generation();
                        settled = first.whole();
                        log.info("upstream {}: {} lists {} endpoint(s): {}", name(), config.discovery().source(),
                                first.endpoints().size(), some(first.endpoints().stream().map(Endpoint::address).toList()));
                    } else {
                        settled = true; // etcd did not answer in time: what it lists later is not waited for
                    }
                } else {
                    settled = true;
                }
            } else {
                settled = true;
            }
            if (predecessor != null) {
                inheritRamps(predecessor); // the members of its start are all in
            }
            started = true;
            if (discovery != null) {
                applyDiscoveredLater(); // what changed while the constructor ran
            }
        } catch (RuntimeException | Error e) {
            try {
                close(); // what had started stops: nothing outlives an upstream that never served
            } catch (RuntimeException | Error alsoFailed) {
                e.addSuppressed(alsoFailed);
            }
            throw e;
        }
    }

    /**
     * What a rebuild keeps of the endpoints that stay: an operator's drain, and an unhealthy verdict
     * when this upstream checks health too (its checks then need {@code healthy_threshold} passes to
     * bring the endpoint back, as they would have). Otherwise a reload that changes, say, a timeout
     * would send traffic to an endpoint known dead, or taken out for maintenance, until found out
     * again. Ejections are not kept: they are served out on the upstream that made them, and real
     * traffic finds a failing endpoint again within a few requests.
     */
    private void inheritVerdicts(Upstream predecessor, boolean checksHealth) {
        boolean changed = false;
        for (EndpointState member : balancer.members()) {
            EndpointState before = predecessor.balancer().registry().get(member.address());
            if (before == null) {
                continue;
            }
            if (before.isDraining() && !member.isDraining()) {
                member.setDraining(true);
                changed = true;
            }
            if (checksHealth && predecessor.health != null && before.health() == Health.UNHEALTHY) {
                member.setHealth(Health.UNHEALTHY);
                changed = true;
            }
        }
        if (changed) {
            balancer.refresh();
        }
    }

    /**
     * What a rebuild keeps of slow start: a member the predecessor had keeps its ramp (where it started,
     * or its full weight), and one it did not have ramps from now, as one that a reload in place adds.
     * Otherwise the new balancer would take every member for a first member, at full weight: an endpoint
     * the reload adds, or one still ramping up, would get its whole share at once. Both balancers read
     * the system ticker, so a ramp's start means the same in either.
     */
    private void inheritRamps(Upstream predecessor) {
        long now = balancer.registry().ticker().nanos();
        for (EndpointState member : balancer.members()) {
            EndpointState before = predecessor.balancer().registry().get(member.address());
            if (before != null) {
                member.takeRamp(before);
            } else {
                member.startRamp(now);
            }
        }
        balancer.refresh();
    }

    /** {@code max_ejection_percent: 0} never ejects: the null object, which only counts outcomes. */
    private OutlierDetector outlierDetector(OutlierDetection detection, Scheduler control) {
        if (detection.maxEjectionPercent() == 0) {
            return OutlierDetector.disabled();
        }
        return OutlierDetector.builder(balancer, detection)
                .scheduler(control)
                .name(config.name())
                .listener(events)
                .build();
    }

    /**
     * Builds the upstream and its balancer and starts its health checks, if it has any. With {@code
     * discovery}, it also starts following the etcd prefix, and waits up to {@code etcd.timeout} for its
     * first read, so that it serves the discovered endpoints from its first request.
     *
     * @param group                 the event loops that will carry its requests and health checks: one
     *                              pool per loop
     * @param channelType           the socket channel class of the group's transport
     * @param connectionInitializer a sharable initializer for new upstream connections (the HTTP codec)
     * @param control               runs the control path: health check scheduling, ejections,
     *                              re-admissions and slow-start steps; must run one task at a time and
     *                              should not be an event loop (a balancer rebuild is not free)
     * @throws IllegalArgumentException for an unknown balancer id
     */
    public static Upstream create(UpstreamConfig config, EventLoopGroup group, Class<? extends Channel> channelType,
                                  ChannelHandler connectionInitializer, Scheduler control) {
        long deadline = System.nanoTime()
                + TimeUnit.MILLISECONDS.toNanos(config.discovery() == null ? 0 : config.discovery().timeoutMillis());
        return new Upstream(config, group, channelType, connectionInitializer, control, null, deadline,
                NameLookups.NONE);
    }

    /**
     * As above, in a start or a reload that builds several upstreams.
     *
     * @param predecessor            the upstream of the same name this one replaces, or null: one that
     *                               follows the same discovery prefix hands its endpoints on
     * @param discoveryDeadlineNanos until when ({@link System#nanoTime()}) an upstream with {@code
     *                               discovery} may wait for its first read: one deadline for all the
     *                               upstreams of a start or reload, so that an etcd that does not answer
     *                               holds them up once, not once each
     * @param names                  its endpoints' names looked up beforehand, off the control path
     */
    public static Upstream create(UpstreamConfig config, EventLoopGroup group, Class<? extends Channel> channelType,
                                  ChannelHandler connectionInitializer, Scheduler control, Upstream predecessor,
                                  long discoveryDeadlineNanos, NameLookups names) {
        return new Upstream(config, group, channelType, connectionInitializer, control, predecessor,
                discoveryDeadlineNanos, names);
    }

    public String name() {
        return config.name();
    }

    /** True once what discovery listed at start is in, its names looked up; always true without discovery. */
    public boolean settled() {
        return settled || closed; // a reload may retire an upstream of the start before it settled
    }

    public UpstreamConfig config() {
        return config;
    }

    public Balancer balancer() {
        return balancer;
    }

    /** {@code idle_timeout}: also how long a response body may go without a byte from the upstream. */
    public long idleTimeoutNanos() {
        return TimeUnit.MILLISECONDS.toNanos(config().idleTimeoutMillis());
    }

    public long responseTimeoutNanos() {
        return responseTimeoutNanos;
    }

    /** Picks an endpoint; on {@link PickResult.Picked} the caller must release its slot exactly once. */
    public PickResult pick(PickContext context) {
        return balancer.pick(context);
    }

    /** Outlier detection: the data path reports how every try ended here ({@code record}). */
    public OutlierDetector outliers() {
        return outliers;
    }

    /** The active health checks, when the upstream has a {@code health_check}. */
    public Optional<HealthMonitor> healthMonitor() {
        return Optional.ofNullable(health);
    }

    /** The {@code circuit_breaker} limits and their counts. */
    public CircuitBreaker breaker() {
        return breaker;
    }

    /** What {@code retries} allows to be tried again. */
    public RetryPolicy retryPolicy() {
        return retryPolicy;
    }

    /** The {@code retries.budget_percent} budget; counts requests in progress and retries in flight. */
    public RetryBudget retryBudget() {
        return retryBudget;
    }

    /** {@code retries.per_try_timeout} in nanoseconds; 0 when each try may use the whole response timeout. */
    public long perTryTimeoutNanos() {
        return perTryTimeoutNanos;
    }

    /** Counts one retry made (a try after the first). */
    public void retried() {
        retries.increment();
    }

    /** Retries made so far (a counter for metrics). */
    public long retries() {
        return retries.sum();
    }

    /** A mirrored copy of a request sent to this upstream ended so. */
    public void mirrored(MirrorOutcome outcome) {
        mirrored[outcome.ordinal()].increment();
    }

    /** Mirrored copies of requests this upstream got that ended as {@code outcome}. */
    public long mirroredCount(MirrorOutcome outcome) {
        return mirrored[outcome.ordinal()].sum();
    }

    /**
     * Runs {@code listener} on the control path each time DNS ({@code resolve: all}) or discovery adds
     * or removes members, e.g. to forget the metrics of addresses that left. One listener; a later call
     * replaces it.
     */
    public void onMembersChanged(Runnable listener) {
        membersChanged = listener;
    }

    /** Registers a listener for the changes DNS makes to the endpoints; called on the control thread. */
    public void addMembershipListener(MembershipListener listener) {
        events.add(listener);
    }

    /** Registers a listener for health checks and transitions; called on the control thread. */
    public void addHealthListener(HealthListener listener) {
        events.add(listener);
    }

    public void removeHealthListener(HealthListener listener) {
        events.remove(listener);
    }

    /** Registers a listener for ejections and re-admissions; called on the control thread. */
    public void addOutlierListener(OutlierListener listener) {
        events.add(listener);
    }

    public void removeOutlierListener(OutlierListener listener) {
        events.remove(listener);
    }

    /** Every event loop's pool; for tests. */
    Collection<ConnectionPool> pools() {
        return pools.values();
    }

    /** The pool of {@code loop}, which must be one of the group this upstream was created with. */
    public ConnectionPool pool(EventLoop loop) {
        ConnectionPool pool = pools.get(loop);
        if (pool == null) {
            throw new IllegalArgumentException("event loop " + loop + " is not one of upstream " + name() + "'s");
        }
        return pool;
    }

    /**
     * {@code loop} was refused a connection by a limit that idle connections count against
     * ({@code max_connections}, or {@code endpoint}'s {@code max_connections_per_endpoint}): asks every
     * loop, its own included, to close one, after which {@code retry} runs on {@code loop}, or
     * {@code refuse} when none had one.
     */
    void shedIdle(EventLoop loop, EndpointState endpoint, Runnable retry, Runnable refuse) {
        IdleShed shed = new IdleShed(loop, pools.size(), retry, refuse);
        for (ConnectionPool pool : pools.values()) {
            pool.eventLoop().execute(() -> pool.shedIdleFor(endpoint, shed));
        }
    }

    /**
     * {@code endpoint} is drained: every loop closes its idle connections to it. Those of requests in
     * flight close as the requests finish ({@link ConnectionPool#release} keeps none of a draining endpoint).
     */
    public void closeIdleConnectionsTo(EndpointState endpoint) {
        for (ConnectionPool pool : pools.values()) {
            pool.eventLoop().execute(() -> pool.closeIdleTo(endpoint));
        }
    }

    /** Closes the idle connections of every loop; in-flight ones finish on their own. */
    public void closeIdleConnections() {
        for (ConnectionPool pool : pools.values()) {
            pool.eventLoop().execute(pool::closeIdle);
        }
    }

    /**
     * Stops health checks (checks in flight are cancelled), outlier detection (ejected endpoints are
     * re-admitted), DNS refreshes and the discovery watch. Requests keep being served. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        if (dns != null) { // null only in a constructor that failed before it made one
            dns.close();
        }
        if (discovery != null) {
            discovery.close();
        }
        if (discoveryTarget != null) {
            discoveryTarget.close();
        }
        if (health != null) {
            health.close();
        }
        if (outliers != null) {
            outliers.close();
        }
    }

    /**
     * {@code endpoint}'s host name resolves elsewhere now: health checks and every loop's new connections
     * go to {@code address}; connections to the old one close once idle. Control path.
     */
    private void readdress(Endpoint endpoint, InetSocketAddress address) {
        addresses.put(endpoint.address(), address);
        EndpointState state = balancer.registry().get(endpoint.address());
        if (state != null) {
            for (ConnectionPool pool : pools.values()) {
                pool.eventLoop().execute(() -> pool.readdress(state, address));
            }
        }
    }

    InetSocketAddress addressOf(EndpointState endpoint) {
        return addressOf(endpoint.endpoint());
    }

    private InetSocketAddress addressOf(Endpoint endpoint) {
        return resolve(endpoint, NameLookups.NONE);
    }

    /**
     * The address of {@code endpoint}, resolved once and then cached: from {@code names} if a start or
     * reload looked its name up beforehand, else looked up now. Not in computeIfAbsent: that would hold
     * the map's bin, and others' look-ups in it, while it resolves.
     */
    private InetSocketAddress resolve(Endpoint endpoint, NameLookups names) {
        InetSocketAddress known = addresses.get(endpoint.address());
        if (known != null) {
            return known;
        }
        InetSocketAddress made = names.addressOf(endpoint);
        InetSocketAddress raced = addresses.putIfAbsent(endpoint.address(), made);
        return raced != null ? raced : made;
    }

    // ---- reload (issue 5) ----

    /**
     * True when {@code next} differs from the running configuration only in what {@link #update} can
     * change in place: endpoints (and their weights), balancer, hash key, bounded load. Anything else
     * (timeouts, pool, resilience settings, {@code discovery}) builds a new upstream.
     */
    public boolean canUpdateTo(UpstreamConfig next) {
        UpstreamConfig running = config;
        return next.withLiveFields(running.balancer(), running.hashKey(), running.boundedLoadFactor(),
                running.endpoints(), running.resolveAll()).equals(running);
    }

    /**
     * Applies a configuration that {@link #canUpdateTo} accepts. Endpoints that stay keep their state
     * (health, ejection, latency, pooled connections); removed ones finish their requests in flight and
     * their pooled connections close. Control path only.
     */
    public void update(UpstreamConfig next, NameLookups names) {
        if (!canUpdateTo(next)) {
            throw new IllegalArgumentException("upstream " + name() + ": cannot update in place to " + next);
        }
        UpstreamConfig running = config;
        if (!running.balancer().equals(next.balancer()) || running.boundedLoadFactor() != next.boundedLoadFactor()) {
            balancer.setPolicy(Policies.of(next.balancer(),
                    BalancerOptions.defaults().withBoundedLoad(next.boundedLoadFactor())));
        }
        carryAddressesAcrossModes(running, next, names);
        config = next;
        Set<String> before = memberAddresses();
        List<NameExpansion.Change> changes = expansion.takeLookups(next, names);
        applyMembers(true, names);
        Set<String> after = memberAddresses();
        for (NameExpansion.Change change : changes) { // as a refresh tells it; the reload tells its own listeners
            events.membersChanged(change.endpoint().address(),
                    change.joined().stream().filter(a -> after.contains(a) && !before.contains(a)).toList(),
                    change.left().stream().filter(a -> before.contains(a) && !after.contains(a)).toList());
        }
        for (Endpoint endpoint : next.endpoints()) {
            if (names.resolved(endpoint)) {
                dns.resolvedElsewhere(endpoint); // a refresh that failed before says so again if it fails again
            }
        }
    }

    /**
     * An endpoint whose {@code resolve} changed, and whose name the reload could not look up, starts in
     * its new mode from the addresses it had in the old one: switching modes during a DNS outage takes
     * nothing out of rotation, as a reload that keeps the mode does not. Before {@link #applyMembers},
     * which forgets the names no longer resolved all.
     */
    private void carryAddressesAcrossModes(UpstreamConfig running, UpstreamConfig next, NameLookups names) {
        for (Endpoint endpoint : next.endpoints()) {
            if (next.resolvesAll(endpoint) == running.resolvesAll(endpoint) || names.resolved(endpoint)
                    || !DnsRefresh.isHostName(endpoint.host())) {
                continue;
            }
            List<InetAddress> had = knownAddresses(endpoint);
            if (had.isEmpty()) {
                continue;
            }
            if (next.resolvesAll(endpoint)) {
                expansion.seed(endpoint, had, null); // takeLookups says the lookup failed, once
            } else {
                addresses.put(endpoint.address(), new InetSocketAddress(had.getFirst(), endpoint.port()));
            }
        }
    }

    /**
     * The addresses this upstream knows for {@code endpoint}'s name, in either mode: every address of a
     * {@code resolve: all} name, or the one a {@code resolve: one} endpoint uses; none if it knows none.
     */
    private List<InetAddress> knownAddresses(Endpoint endpoint) {
        if (config.resolvesAll(endpoint)) {
            List<InetAddress> all = expansion.addressesOf(endpoint);
            return all == null ? List.of() : all;
        }
        InetSocketAddress one = addresses.get(endpoint.address());
        return one == null || one.isUnresolved() ? List.of() : List.of(one.getAddress());
    }

    /** The address {@code endpoint} had here: its own, or the first of its name's if that resolved all. */
    private InetSocketAddress lastAddress(Endpoint endpoint) {
        if (!config.resolvesAll(endpoint)) {
            return addresses.get(endpoint.address());
        }
        List<InetAddress> all = knownAddresses(endpoint);
        return all.isEmpty() ? null : new InetSocketAddress(all.getFirst(), endpoint.port());
    }

    /** The members' addresses in balancer order. */
    private Set<String> memberAddresses() {
        Set<String> addresses = new LinkedHashSet<>();
        for (EndpointState member : balancer.members()) {
            addresses.add(member.address());
        }
        return addresses;
    }

    /**
     * Makes the balancer's members what the configuration and the last lookups of {@code resolve: all}
     * names say. Members that stay keep their state; removed ones finish their requests in flight and
     * their pooled connections close. Control path only.
     *
     * @param lookUpUnresolved look {@code resolve: all} names without an address up again now (a reload)
     * @param names            what a start or reload looked up beforehand, used before looking up
     */
    private void applyMembers(boolean lookUpUnresolved, NameLookups names) {
        List<Endpoint> members = members(lookUpUnresolved, names);
        Set<String> now = new HashSet<>();
        for (Endpoint endpoint : members) {
            InetSocketAddress previous = addresses.get(endpoint.address());
            InetSocketAddress chosen = chooseAddress(endpoint, previous, names);
            if (chosen == null) {
                resolve(endpoint, names); // an IP address, or one etcd lists (discovery looked its name up)
            } else if (chosen != previous) {
                if (previous != null && balancer.registry().get(endpoint.address()) != null) {
                    dnsTarget.moved(endpoint, chosen); // found elsewhere, or resolving at last: as a refresh would
                } else {
                    addresses.put(endpoint.address(), chosen); // joins, or joins again, at what its name says now
                }
            }
            now.add(endpoint.address());
        }
        for (EndpointState member : balancer.members()) {
            Endpoint gone = member.endpoint();
            // An IP address that left is forgotten (it needs no lookup should a pool still ask); a name's
            // is kept as its last known address, should it join again while its name does not resolve.
            if (!now.contains(gone.address()) && !DnsRefresh.isHostName(gone.host())) {
                addresses.remove(gone.address());
            }
        }
        // Counters of addresses that left: those with no connection open now (the others' pooled
        // connections close after this, so a later rebuild drops their counters).
        openConnections.entrySet().removeIf(entry -> !now.contains(entry.getKey()) && entry.getValue().get() == 0);
        if (started && !firstReadJoining) {
            balancer.setEndpoints(members); // those that join now ramp up (slow_start)
        } else {
            balancer.setFirstMembers(members); // what discovery lists first starts at full weight, as the configured ones
        }
        outliers.sync();
        if (health != null) {
            health.sync();
        }
        for (ConnectionPool pool : pools.values()) {
            pool.eventLoop().execute(pool::forgetRemovedEndpoints);
        }
    }

    /**
     * {@link NameLookups#choose}, said in the log when the endpoint moves or its lookup failed (it keeps
     * {@code previous} then), as {@link DnsRefresh} says it.
     */
    private InetSocketAddress chooseAddress(Endpoint endpoint, InetSocketAddress previous, NameLookups names) {
        InetSocketAddress chosen = names.choose(endpoint, previous);
        String failure = names.failure(endpoint);
        if (failure != null && previous != null) {
            log.warn("upstream {}: endpoint {}: cannot resolve {} ({}); it keeps {}", name(), endpoint.address(),
                    endpoint.host(), failure, ipOf(previous, "no address"));
        } else if (failure != null) {
            // Joins with no address (a name etcd lists before DNS has it, say): said now, not at a refresh.
            log.warn("upstream {}: endpoint {}: cannot resolve {} ({}); requests to it fail until it does",
                    name(), endpoint.address(), endpoint.host(), failure);
            if (dns != null) {
                dns.failureSaid(endpoint.address()); // its refresh says nothing more until it resolves
            }
        } else if (previous != null && chosen != null && chosen != previous) {
            log.info("upstream {}: endpoint {} now resolves to {} (was {})", name(), endpoint.address(),
                    ipOf(chosen, "unresolved"), ipOf(previous, "unresolved"));
        }
        return chosen;
    }

    private static String ipOf(InetSocketAddress address, String unresolved) {
        return address.isUnresolved() ? unresolved : address.getAddress().getHostAddress();
    }

    /**
     * The configured endpoints (those marked {@code resolve: all} expanded), then the ones discovery
     * lists. An address both configured and discovered is the configured endpoint.
     */
    private List<Endpoint> members(boolean lookUpUnresolved, NameLookups names) {
        List<Endpoint> configured = expansion.members(config, lookUpUnresolved, names);
        List<Endpoint> listed = discovered;
        if (listed.isEmpty()) {
            return configured;
        }
        // By address ignoring case, as the configuration and etcd compare host names.
        Map<String, Endpoint> members = new LinkedHashMap<>();
        for (Endpoint endpoint : configured) {
            members.put(endpoint.address().toLowerCase(Locale.ROOT), endpoint);
        }
        for (Endpoint endpoint : listed) {
            members.putIfAbsent(endpoint.address().toLowerCase(Locale.ROOT), endpoint);
        }
        return List.copyOf(members.values());
    }

    /**
     * What discovery listed, published for the control path in one piece: the endpoints, and the
     * lookups of the names among them that were not members when they came ({@link #joining}), so a
     * name that joins, or joins again (a pod back under its name), takes its address by the rule a
     * reload follows ({@link NameLookups#choose}). {@code generation} orders the lists etcd sent;
     * {@code whole}: every endpoint of the list, its names looked up, else only those that needed no
     * lookup, published while the names are looked up.
     */
    private record Listing(long generation, List<Endpoint> endpoints, NameLookups joining, boolean whole) {
    }

    /**
     * What discovery reports: the watch's thread reads the values into endpoints, a thread of this
     * upstream's looks their names up, and the control path applies the latest list. The first list is
     * awaited by the constructor, so that an upstream built at start or by a reload serves its
     * discovered endpoints from its first request.
     */
    private final class DiscoveryTarget {

        private final CountDownLatch firstRead = new CountDownLatch(1);
        /** What to apply now; null before the first read. */
        private volatile Listing latest;
        /**
         * Looks up the names of the newest list, on a virtual thread of its own: not on the watch's
         * thread, which calls {@link #changed} under the watch's lock, so that a slow name cannot hold
         * up {@link #close} (a reload retiring this upstream, on the control path).
         */
        private final ExecutorService lookups = Executors.newSingleThreadExecutor(
                Thread.ofVirtual().name("ballast-discovery-" + config.name()).factory());
        /** The newest list not yet taken by the lookup thread: lists that came meanwhile are skipped. */
        private final AtomicReference<Listing> pending = new AtomicReference<>();
        private final AtomicLong generations = new AtomicLong();

        /**
         * On the watch's thread: returns at once. What needs no lookup (addresses, names already
         * members, keys gone) is published now, so a slow name, this list's or an earlier one's, holds
         * up neither the rest of the list nor the start of the upstream; the whole list follows once
         * its names are looked up. A list with no name to look up is published whole, and does not
         * wait behind another list's lookup: a key deleted then leaves at once.
         */
        void changed(List<Endpoint> endpoints) {
            Listing listed = new Listing(generations.incrementAndGet(), endpoints, NameLookups.NONE, true);
            Set<String> members = memberAddresses();
            List<Endpoint> ready = endpoints.stream().filter(endpoint -> !joinsByName(endpoint, members)).toList();
            if (ready.size() == endpoints.size()) {
                publish(listed); // an older list whose names are still being looked up is dropped when it ends
                return;
            }
            publish(new Listing(listed.generation(), ready, NameLookups.NONE, false));
            if (pending.getAndSet(listed) != null) {
                return; // the lookup thread has not taken the one before: it takes this one instead
            }
            try {
                lookups.execute(this::lookUpNewest);
            } catch (RejectedExecutionException e) {
                // closed: nothing more to apply
            }
        }

        /** A name not yet a member: it joins once looked up. */
        private static boolean joinsByName(Endpoint endpoint, Set<String> members) {
            return DnsRefresh.isHostName(endpoint.host()) && !members.contains(endpoint.address());
        }

        /** On the lookup thread: the names are looked up, so the control path finds them when it applies the list. */
        private void lookUpNewest() {
            Listing listed = pending.getAndSet(null);
            NameLookups looked = NameLookups.NONE;
            try {
                Set<String> members = memberAddresses();
                Set<String> names = new LinkedHashSet<>();
                for (Endpoint endpoint : listed.endpoints()) {
                    if (joinsByName(endpoint, members)) {
                        names.add(endpoint.host());
                    } else if (DnsRefresh.isHostName(endpoint.host())) {
                        addressOf(endpoint); // a member: DNS refresh follows its name
                    }
                }
                if (closed) {
                    return; // retired: the list would not be applied
                }
                looked = NameLookups.lookingUp(names);
            } catch (RuntimeException e) {
                log.warn("upstream {}: looking up the names {} lists failed ({}); they are looked up again when"
                        + " they are used", name(), config.discovery().source(), e.toString());
            }
            publish(new Listing(listed.generation(), listed.endpoints(), looked, true));
        }

        /** Makes {@code listing} the one to apply, unless a later list's was published meanwhile. */
        private synchronized void publish(Listing listing) {
            Listing current = latest;
            if (current != null && current.generation() > listing.generation()) {
                return; // an older list, whose names took longer than a newer list took to come
            }
            latest = listing;
            firstRead.countDown();
            if (started) {
                applyDiscoveredLater();
            }
        }

        void close() {
            lookups.shutdownNow(); // a lookup under way ends on its own, and its list is not applied
        }

        /** The first list, waiting for it until {@code deadlineNanos}; null when etcd did not answer by then. */
        Listing awaitFirstRead(long deadlineNanos) {
            try {
                if (!firstRead.await(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    log.warn("upstream {}: no answer from etcd yet; starting without the endpoints under {},"
                            + " which join once it answers", name(), config.discovery().prefix());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return latest;
        }
    }

    private void applyDiscoveredLater() {
        try {
            control.schedule(this::applyDiscovered, 0);
        } catch (RejectedExecutionException e) {
            // the control path is shutting down: nothing to apply
        }
    }

    /** Control path: makes the members what discovery lists now. */
    private void applyDiscovered() {
        Listing listing = discoveryTarget.latest;
        if (closed || listing == null) {
            return;
        }
        try {
            if (!listing.endpoints().equals(discovered)) {
                applyDiscovered(listing);
            }
        } finally {
            if (listing.whole()) {
                settled = true; // a list that failed to apply must not hold readiness back
            }
        }
    }

    private void applyDiscovered(Listing listing) {
        List<Endpoint> endpoints = listing.endpoints();
        Set<String> before = memberAddresses();
        discovered = endpoints;
        // The names of a start's first read, looked up after it: first members still, at full weight. Not
        // after a rebuild, whose other new members ramp (inheritRamps).
        firstReadJoining = !settled && !rebuilt && listing.generation() == firstGeneration;
        try {
            applyMembers(false, listing.joining());
        } finally {
            firstReadJoining = false;
        }
        Set<String> after = memberAddresses();
        membersChanged.run();
        List<String> joined = after.stream().filter(a -> !before.contains(a)).toList();
        List<String> left = before.stream().filter(a -> !after.contains(a)).toList();
        if (!joined.isEmpty() || !left.isEmpty()) {
            log.info("upstream {}: {} lists {} endpoint(s) now: {} joined {}, {} left {}", name(),
                    config.discovery().source(), endpoints.size(), joined.size(), some(joined), left.size(),
                    some(left));
            events.discovered(config.discovery().source(), joined, left);
        }
    }

    /** The first addresses of {@code addresses}, for a log line that stays short with hundreds. */
    private static String some(List<String> addresses) {
        int shown = 10;
        return addresses.size() <= shown ? addresses.toString()
                : addresses.subList(0, shown).toString() + " and " + (addresses.size() - shown) + " more";
    }

    /** Where discovery stands, for {@code /status}; empty when the upstream has none. */
    public Optional<Watch.Status> discoveryStatus() {
        if (discovery == null) {
            return Optional.empty();
        }
        Watch.Status own = discovery.status();
        if (own.revision() == 0 && seededStatus != null) {
            return Optional.of(new Watch.Status(own.server(), seededStatus.revision(), seededStatus.entries(),
                    own.lastError() != null ? own.lastError() : seededStatus.lastError()));
        }
        return Optional.of(own);
    }

    /** The upstream's side of {@link DnsRefresh}: which names to follow, and what a new answer changes. */
    private final class Names implements DnsRefresh.Target {

        @Override
        public List<Endpoint> named() {
            UpstreamConfig current = config;
            List<Endpoint> named = new ArrayList<>();
            for (EndpointState member : balancer.members()) {
                Endpoint endpoint = member.endpoint();
                if (DnsRefresh.isHostName(endpoint.host())) {
                    named.add(endpoint); // one address of its name (the members of resolve: all are IPs)
                }
            }
            for (Endpoint endpoint : current.endpoints()) {
                if (current.resolvesAll(endpoint)) {
                    named.add(endpoint);
                }
            }
            return named;
        }

        @Override
        public boolean resolvesAll(Endpoint endpoint) {
            return config.resolvesAll(endpoint);
        }

        @Override
        public boolean unresolved(Endpoint endpoint) {
            return resolvesAll(endpoint) ? expansion.unresolved(endpoint) : addressOf(endpoint).isUnresolved();
        }

        @Override
        public InetSocketAddress current(Endpoint endpoint) {
            return addressOf(endpoint);
        }

        @Override
        public void moved(Endpoint endpoint, InetSocketAddress address) {
            InetSocketAddress was = addressOf(endpoint);
            readdress(endpoint, address);
            events.moved(endpoint.address(), address.getAddress().getHostAddress(),
                    was.isUnresolved() ? null : was.getAddress().getHostAddress());
        }

        @Override
        public void resolved(Endpoint endpoint, List<InetAddress> addresses) {
            if (expansion.update(endpoint, addresses)) {
                Set<String> before = memberAddresses();
                applyMembers(false, NameLookups.NONE);
                Set<String> after = memberAddresses();
                membersChanged.run();
                events.membersChanged(endpoint.address(), after.stream().filter(a -> !before.contains(a)).toList(),
                        before.stream().filter(a -> !after.contains(a)).toList());
            }
        }
    }

    /**
     * Takes the upstream out of service after a reload removed or replaced it (or at shutdown): stops
     * its health checks and outlier detection and closes its idle connections; requests in flight
     * finish, and each connection closes when its request ends. Idempotent.
     */
    public void retire() {
        close();
        for (ConnectionPool pool : pools.values()) {
            pool.eventLoop().execute(pool::retire);
        }
    }

    /** Connections open (or opening) to {@code address} over every event loop, for metrics. */
    public int openConnections(String address) {
        AtomicInteger open = openConnections.get(address);
        return open == null ? 0 : open.get();
    }

    AtomicInteger openCounter(EndpointState endpoint) {
        return openConnections.computeIfAbsent(endpoint.address(), a -> new AtomicInteger());
    }

    @Override
    public String toString() {
        return "Upstream[" + name() + ", " + balancer.policy() + ", " + config.endpoints() + "]";
    }
}
