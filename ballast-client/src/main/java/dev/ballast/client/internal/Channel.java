package dev.ballast.client.internal;

import dev.ballast.client.CallException;
import dev.ballast.client.CallListener;
import dev.ballast.client.ServiceConfig;
import dev.ballast.client.interceptor.Interceptor;
import dev.ballast.client.interceptor.Interceptors;
import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.health.HealthListener;
import dev.ballast.core.health.HealthMonitor;
import dev.ballast.core.health.HealthTransition;
import dev.ballast.core.outlier.Ejection;
import dev.ballast.core.outlier.OutlierDetector;
import dev.ballast.core.outlier.OutlierListener;
import dev.ballast.core.outlier.Outcome;
import dev.ballast.core.pick.Balancer;
import dev.ballast.core.pick.BalancerOptions;
import dev.ballast.core.pick.PickContext;
import dev.ballast.core.pick.PickResult;
import dev.ballast.core.pick.Policies;
import dev.ballast.core.resilience.CircuitBreaker;
import dev.ballast.core.resilience.RetryBudget;
import dev.ballast.core.state.EndpointState;
import dev.ballast.core.state.Health;
import dev.ballast.core.time.Scheduler;
import dev.ballast.core.time.Ticker;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One named service inside the client, as a channel is in gRPC: its balancer over its endpoints'
 * live state, the HTTP client that reaches them, outlier detection over them, and the steps every
 * call to it takes after the application's interceptors (retry, hedging, then the transport).
 *
 * <p>Threading: {@link #pick} and {@link #acquire} are the data path (one volatile read, no lock);
 * {@link #setEndpoints} is the control path and is serialised by the balancer.
 */
public final class Channel implements AutoCloseable {

    /** Latencies older than two of these no longer steer hedging. */
    private static final Duration LATENCY_INTERVAL = Duration.ofSeconds(10);
    /** Hedging at a percentile waits for this many samples before trusting it. */
    private static final int MIN_LATENCY_SAMPLES = 50;

    private final ServiceConfig config;
    private final Balancer balancer;
    private final HttpClient http;
    private final Scheduler timers;
    private final Ticker ticker;
    private final CallListener listener;
    private final LatencyWindow latencies;
    private final List<Interceptor> steps;
    private final OutlierDetector outliers;
    /** Null when the service has no {@code health_check}. */
    private final HealthMonitor health;
    private final CircuitBreaker breaker;
    private final long attemptTimeoutNanos;
    /**
     * An attempt the caller's deadline cut after this long counts against its endpoint as a timeout: the
     * connect timeout its {@link HttpClient} applies, as {@link #connectTimeout} caps it.
     */
    private final long connectTimeoutNanos;
    private final boolean hashBased;
    private volatile Map<String, EndpointState> byAddress = Map.of();
    /** {@code scheme://host:port} of each member, parsed once per membership change rather than per attempt. */
    private volatile Map<EndpointState, URI> bases = Map.of();

    public Channel(ServiceConfig config, HttpClient http, Resources resources) {
        this.config = config;
        this.timers = resources.timers();
        this.http = http;
        this.ticker = resources.ticker();
        this.listener = resources.listener();
        Scheduler scheduler = resources.control();
        this.attemptTimeoutNanos = config.tryTimeout().toNanos();
        // A caller's HttpClient applies its own connect timeout (the service's when it sets none).
        this.connectTimeoutNanos = connectTimeout(http.connectTimeout().orElse(config.connectTimeout()),
                config.tryTimeout()).toNanos();
        this.breaker = CircuitBreaker.of(Integer.MAX_VALUE, Integer.MAX_VALUE, config.maxRequests());
        this.hashBased = Policies.isHashBased(config.balancer());
        this.latencies = new LatencyWindow(ticker, LATENCY_INTERVAL.toNanos());
        BalancerOptions options = BalancerOptions.defaults()
                .withRng(resources.rng())
                .withTicker(ticker)
                .withBoundedLoad(config.boundedLoad());
        this.balancer = Balancer.builder(Policies.of(config.balancer(), options))
                .name("service " + config.name())
                .ticker(ticker)
                .scheduler(scheduler)
                .panicThreshold(config.panicThreshold())
                .slowStart(config.slowStart())
                .build();
        balancer.setEndpoints(config.endpoints());
        this.outliers = config.outlierDetection() == null ? OutlierDetector.disabled()
                : OutlierDetector.builder(balancer, config.outlierDetection())
                        .scheduler(scheduler)
                        .name(config.name())
                        .listener(new EndpointEvents())
                        .build();
        this.health = config.healthCheck() == null ? null
                : HealthMonitor.builder(balancer, new HttpHealthChecker(config.healthCheck(), http, config.scheme(),
                                Thread.ofVirtual().name("ballast-health-check")::start),
                                config.healthCheck().settings())
                        .scheduler(scheduler)
                        .name(config.name())
                        .listener(new EndpointEvents())
                        .build();
        setEndpoints(config.endpoints());
        List<Interceptor> list = new ArrayList<>();
        // Retries and hedges are extra load of one kind: one budget bounds both.
        RetryBudget budget = RetryBudget.of(config.retryBudgetPercent(), RetryBudget.DEFAULT_MIN_RETRY_CONCURRENCY);
        boolean retries = config.retries().attempts() > 0;
        if (retries) {
            list.add(Interceptors.retry(config.retries(), budget, resources.rng()));
        }
        if (config.hedging() != null) {
            list.add(Interceptors.hedging(config.hedging().maxAttempts(), this::hedgeDelayNanos, budget, !retries));
        }
        list.add(new Transport(this));
        this.steps = List.copyOf(list);
    }

    /**
     * The connect timeout an attempt is given: {@code wanted}, or three quarters of a try's timeout when
     * that is shorter. A connect that cannot finish within the try then fails as a connect failure
     * (nothing was sent, so any method may go to another endpoint) rather than as the try's timeout,
     * which is not retried unless asked for, and never for a POST. The quarter left is for the JDK's
     * connect timer, which fires some tens of milliseconds late on a cold client.
     */
    public static Duration connectTimeout(Duration wanted, Duration tryTimeout) {
        Duration within = tryTimeout.minus(tryTimeout.dividedBy(4));
        return wanted.compareTo(within) <= 0 ? wanted : within.isZero() ? Duration.ofMillis(1) : within;
    }

    public String name() {
        return config.name();
    }

    public ServiceConfig config() {
        return config;
    }

    /** The steps after the application's interceptors; the transport last. */
    public List<Interceptor> steps() {
        return steps;
    }

    /** Replaces the endpoints (a discovery update); live state of endpoints that stay is kept. */
    public void setEndpoints(List<Endpoint> endpoints) {
        // Every address is checked before anything changes: a bad one leaves the service as it was.
        Map<String, URI> byAddressUri = new HashMap<>();
        // Host names are case-insensitive (RFC 4343), as ServiceConfig and discovery take them: the
        // registry, keyed by the exact address, would make LOCALHOST:80 and localhost:80 two members.
        Map<String, Integer> firstAt = new HashMap<>();
        for (int i = 0; i < endpoints.size(); i++) {
            String address = endpoints.get(i).address();
            Integer first = firstAt.putIfAbsent(address.toLowerCase(Locale.ROOT), i);
            if (first != null) {
                throw new IllegalArgumentException("service " + config.name() + ": endpoints[" + i
                        + "]: duplicate endpoint " + address + " (also endpoints[" + first + "])");
            }
            byAddressUri.put(address, baseUri(address));
        }
        synchronized (balancer) {
            balancer.setEndpoints(endpoints);
            Map<String, EndpointState> map = new HashMap<>();
            Map<EndpointState, URI> uris = new java.util.IdentityHashMap<>();
            for (EndpointState state : balancer.members()) {
                map.put(state.address(), state);
                uris.put(state, byAddressUri.get(state.address()));
            }
            byAddress = Map.copyOf(map);
            bases = uris;
        }
        // Outside the balancer's lock: the detector and the monitor lock themselves, then the balancer
        // (an ejection reads its members on the control thread), so syncing under it could deadlock.
        // Each sync reads the members it follows afresh, so two updates racing here still end in step.
        outliers.sync();
        if (health != null) {
            health.sync();
        }
    }

    /** The URI requests to {@code address} start with. */
    private URI baseUri(String address) {
        try {
            UriHost.check(address);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("service " + config.name() + ": endpoint " + e.getMessage());
        }
        return URI.create(config.scheme() + "://" + address);
    }

    /** Every endpoint's live state, eligible or not, in configuration order. */
    public List<EndpointState> members() {
        return balancer.members();
    }

    public Balancer balancer() {
        return balancer;
    }

    // ---- data path ----

    /** The balancing step: one volatile read and the picker; allocation-free. */
    public PickResult pick(PickContext context) {
        return balancer.pick(context);
    }

    /** Takes a slot on the endpoint at {@code address} without balancing, or null if it is not a member. */
    EndpointState acquire(String address) {
        EndpointState state = byAddress.get(address);
        if (state != null) {
            state.tryAcquire(Integer.MAX_VALUE);
        }
        return state;
    }

    /** Learns from one finished attempt: latency for hedging, outcome for outlier detection, an event. */
    void attemptFinished(EndpointState endpoint, int status, CallException.Kind failure, long elapsedNanos) {
        Outcome outcome = failure == null ? (status > 0 ? Outcome.ofStatus(status) : null) : switch (failure) {
            case CONNECT_FAILURE -> Outcome.CONNECT_FAILURE;
            case RESET -> Outcome.RESET;
            case TIMEOUT -> Outcome.TIMEOUT;
            // The caller's deadline cut it: the endpoint is to blame only if it had the time it is given
            // to accept a connection (the connect timeout applied, not a longer connect_timeout the try
            // timeout capped) and still said nothing. Else a hanging endpoint of a service called under
            // deadlines shorter than its try timeout is never ejected. A shorter wait (a deadline nearly
            // spent before the attempt began) says nothing about the endpoint.
            case DEADLINE_EXCEEDED -> elapsedNanos >= connectTimeoutNanos ? Outcome.TIMEOUT : null;
            default -> null; // the caller's cancellation says nothing about the endpoint
        };
        if (outcome != null) {
            outliers.record(endpoint, outcome);
        }
        if (failure == null && status > 0) { // a refused body's time is only how far its reading got
            latencies.record(elapsedNanos);
        } else if (failure == CallException.Kind.TIMEOUT || failure == CallException.Kind.DEADLINE_EXCEEDED
                || failure == CallException.Kind.CANCELLED) {
            recordUnanswered(elapsedNanos);
        }
        listener.attemptFinished(new CallListener.AttemptEvent(config.name(), endpoint.address(), status, failure,
                elapsedNanos));
    }

    /**
     * An attempt stopped before it was answered (its timeout, the deadline, a cancel: above all the try
     * a hedge beat) took at least {@code waitedNanos}. Forgetting it would leave the window only the
     * answers that came in time, and the percentile would sink with every hedge that won until nearly
     * every call is hedged. Kept as a lower bound, as {@code releaseTimedOut} does for the balancer, but
     * only when it waited at least the current hedge delay: then it is known to be above the percentile,
     * which is all a rank needs; a shorter wait (the hedge that lost to its original, a caller who gave
     * up early) says nothing of whether it would have been, and counted as fast would pull it down.
     */
    private void recordUnanswered(long waitedNanos) {
        ServiceConfig.Hedging hedging = config.hedging();
        if (hedging != null && hedging.percentile() != 0 && waitedNanos >= hedgeDelayNanos()) {
            latencies.record(waitedNanos);
        }
    }

    private long hedgeDelayNanos() {
        ServiceConfig.Hedging hedging = config.hedging();
        long fixed = hedging.delay().toNanos();
        return hedging.percentile() == 0 ? fixed
                : latencies.percentileNanos(hedging.percentile(), MIN_LATENCY_SAMPLES, fixed);
    }

    /** Where an attempt to {@code endpoint} for {@code target} (path and query) goes. */
    URI uri(EndpointState endpoint, URI target) {
        URI base = bases.get(endpoint);
        if (base == null) { // removed from the service while this attempt was being made
            base = URI.create(config.scheme() + "://" + endpoint.address());
        }
        return base.resolve(target);
    }

    HttpClient http() {
        return http;
    }

    Scheduler timers() {
        return timers;
    }

    Ticker ticker() {
        return ticker;
    }

    String scheme() {
        return config.scheme();
    }

    /** How an attempt with {@code method} reads its response's body: whole, up to {@code maxResponseBytes}. */
    LimitedBody body(String method) {
        return new LimitedBody(config.maxResponseBytes(), "HEAD".equals(method));
    }

    /** The timeout of one attempt: {@code response_timeout}, or the retries' shorter {@code per_try_timeout}. */
    long attemptTimeoutNanos() {
        return attemptTimeoutNanos;
    }

    CircuitBreaker breaker() {
        return breaker;
    }

    boolean hashBased() {
        return hashBased;
    }

    @Override
    public void close() {
        if (health != null) {
            health.close();
        }
        outliers.close();
    }

    /** Tells the client's listener about ejections and health transitions, in its vocabulary. */
    private final class EndpointEvents implements OutlierListener, HealthListener {

        @Override
        public void transitioned(HealthTransition transition) {
            listener.endpointChanged(new CallListener.EndpointEvent(config.name(), transition.endpoint().address(),
                    word(transition.from()), word(transition.to()), transition.reason()));
        }

        private static String word(Health health) {
            return health == Health.HEALTHY ? "healthy" : "unhealthy";
        }

        @Override
        public void ejected(Ejection ejection) {
            listener.endpointChanged(new CallListener.EndpointEvent(config.name(), ejection.endpoint().address(),
                    "eligible", "ejected", ejection.failuresInARow() + " failures in a row, last: "
                    + ejection.lastFailure().description() + "; out for " + ejection.durationNanos() / 1_000_000 + "ms"));
        }

        @Override
        public void readmitted(EndpointState endpoint) {
            listener.endpointChanged(new CallListener.EndpointEvent(config.name(), endpoint.address(), "ejected",
                    "eligible", "ejection time over"));
        }
    }
}
