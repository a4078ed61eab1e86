package dev.ballast.client;

import dev.ballast.client.interceptor.Interceptor;
import dev.ballast.client.internal.Call;
import dev.ballast.client.internal.Dispatch;
import dev.ballast.client.internal.Resources;
import dev.ballast.client.internal.Channel;
import dev.ballast.client.internal.DiscoveredEndpoints;
import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.endpoint.EndpointSource;
import dev.ballast.core.endpoint.Watch;
import dev.ballast.core.endpoint.WatchTarget;
import dev.ballast.core.pick.Rng;
import dev.ballast.core.state.EndpointState;
import dev.ballast.core.state.Health;
import dev.ballast.core.time.Scheduler;
import dev.ballast.core.time.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * Client-side load balancing over {@link HttpClient}: requests name a service, the client picks one
 * of its endpoints with a core balancer, and each call passes the application's
 * {@linkplain Builder#interceptor interceptors} in order, then the service's own steps (hedging,
 * then sending).
 *
 * <pre>{@code
 * try (BallastClient client = BallastClient.builder()
 *         .service(ServiceConfig.builder("orders").endpoints("10.0.0.1:8080", "10.0.0.2:8080")
 *                 .balancer("least-request").build())
 *         .interceptor(Interceptors.logging())
 *         .build()) {
 *     ClientResponse response = client.send(request("orders").path("/v1/orders/42"));
 * }
 * }</pre>
 *
 * <p>Thread-safe; one instance per application. {@link #send} blocks the calling thread (a virtual
 * thread is ideal); {@link #sendAsync} runs the call on a virtual thread of its own.
 */
public final class BallastClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BallastClient.class);

    private final Map<String, Channel> channels;
    private final List<Interceptor> steps;
    private final ExecutorService asyncCalls;
    private volatile boolean closed;
    /** Contexts of the calls running now, for {@link #close} to cancel. */
    private final Set<CallContext> running = ConcurrentHashMap.newKeySet();
    private final List<HttpClient> ownedHttpClients;
    private final ScheduledExecutorService ownedControl;
    private final Resources resources;
    /** The discovery watches {@link #discover} started, by service: closed with the client. */
    private final Map<String, Watch> discoveries = new ConcurrentHashMap<>();

    private BallastClient(Builder builder) {
        this.ownedControl = builder.scheduler == null ? Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "ballast-client-control");
            thread.setDaemon(true);
            return thread;
        }) : null;
        Scheduler scheduler = builder.scheduler != null ? builder.scheduler : Scheduler.of(ownedControl);
        this.resources = Resources.create(builder.ticker, scheduler, builder.rng, builder.listener);
        Map<Duration, HttpClient> httpByConnectTimeout = new HashMap<>();
        Map<String, Channel> map = new LinkedHashMap<>();
        try {
            for (ServiceConfig config : builder.services.values()) {
                HttpClient http = builder.httpClient != null ? builder.httpClient
                        : httpByConnectTimeout.computeIfAbsent(connectTimeout(config), timeout -> HttpClient.newBuilder()
                                .version(builder.httpVersion)
                                .connectTimeout(timeout)
                                .followRedirects(HttpClient.Redirect.NEVER)
                                .build());
                map.put(config.name(), new Channel(config, http, resources));
            }
        } catch (RuntimeException | Error failed) {
            // Nobody can close a client that was never built: the services set up so far stop here,
            // else their health checks would run on for ever.
            map.values().forEach(Channel::close);
            httpByConnectTimeout.values().forEach(HttpClient::shutdownNow);
            if (ownedControl != null) {
                ownedControl.shutdownNow();
            }
            resources.close();
            throw failed;
        }
        this.channels = Map.copyOf(map);
        this.ownedHttpClients = List.copyOf(httpByConnectTimeout.values());
        List<Interceptor> list = new ArrayList<>(builder.interceptors);
        list.add(new Dispatch(map));
        this.steps = List.copyOf(list);
        this.asyncCalls = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("ballast-call-", 0).factory());
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Sends {@code request} and waits for the response, blocking the calling thread.
     *
     * @throws CallException when there is no response (its {@link CallException#kind()} says why);
     *                       an HTTP error status is a response, not an exception
     */
    public ClientResponse send(ClientRequest request) {
        Call call = Call.of(request);
        enter(call);
        try {
            return call.run(steps, request);
        } finally {
            leave(call);
        }
    }

    /**
     * Registers a call as running, then checks the client is open: either this call sees {@code closed}
     * or {@link #close} sees the call and cancels it, never neither.
     */
    private void enter(Call call) {
        running.add(call.context());
        if (closed) {
            leave(call);
            throw new IllegalStateException("client closed");
        }
    }

    private void leave(Call call) {
        running.remove(call.context());
        call.context().close();
    }

    /**
     * Sends {@code request} on a virtual thread. Cancelling the returned future (or the request's
     * context) cancels the call: attempts in flight are aborted and their connections closed.
     * Futures derived from it ({@code thenApply}...) do not cancel it.
     */
    public CompletableFuture<ClientResponse> sendAsync(ClientRequest request) {
        Call call = Call.of(request);
        enter(call);
        CallFuture future = new CallFuture(call.context());
        try {
            asyncCalls.execute(() -> {
                try {
                    future.finish(call.run(steps, request));
                } catch (Throwable e) {
                    future.fail(e);
                } finally {
                    leave(call);
                }
            });
        } catch (RejectedExecutionException e) {
            leave(call);
            throw new IllegalStateException("client closed", e);
        }
        return future;
    }

    /** The configured service names. */
    public Set<String> services() {
        return channels.keySet();
    }

    /**
     * Replaces a service's endpoints: the hook for discovery sources. Endpoints that stay keep
     * their live state (in-flight counts, latency, ejection); new ones start with slow start if set.
     */
    public void setEndpoints(String service, List<Endpoint> endpoints) {
        Channel channel = channel(service);
        if (closed) {
            throw new IllegalStateException("client closed");
        }
        channel.setEndpoints(endpoints);
    }

    /**
     * Follows {@code service}'s endpoints in a discovery system, as the proxy's {@code discovery} does:
     * after each change there, the service's endpoints become its configured ones followed by the
     * discovered ones (an address that cannot be a URI host is left out, with a log line). While the
     * system cannot be reached the endpoints read last stay in use. The watch stops when the client
     * closes, or when the returned watch is closed; its {@link Watch#status()} says whether the system
     * answers.
     *
     * <p>A discovery module provides the source: with {@code ballast-discovery-etcd} on the class path,
     * {@code EndpointSource.find("etcd")} finds the one that reads the keys under a prefix.
     *
     * <p>One watch per service: each list it reads replaces the service's discovered endpoints, so a
     * second watch would take turns with the first rather than add to it.
     *
     * @param target where the system is and what to follow there (for etcd: member URLs and a key prefix)
     * @throws IllegalArgumentException when {@code service} is not configured
     * @throws IllegalStateException    when the client is closed, or a watch follows {@code service} already
     */
    public Watch discover(String service, EndpointSource source, WatchTarget target) {
        Channel channel = channel(service);
        DiscoveredEndpoints apply = new DiscoveredEndpoints(channel);
        Discovery watch = new Discovery(service, source.watch(target, endpoints -> {
            if (!closed) {
                apply.accept(endpoints);
            }
        }));
        if (discoveries.putIfAbsent(service, watch) != null) {
            watch.watch.close();
            throw new IllegalStateException("service " + service + ": a discovery watch follows it already (one"
                    + " per service, each list replacing the discovered endpoints; close that one first)");
        }
        if (closed) {
            watch.close();
            throw new IllegalStateException("client closed");
        }
        watch.start();
        return watch;
    }

    /** A discovery watch that leaves the client's list when it is closed. */
    private final class Discovery implements Watch {

        private final String service;
        private final Watch watch;

        Discovery(String service, Watch watch) {
            this.service = service;
            this.watch = watch;
        }

        @Override
        public void start() {
            watch.start();
        }

        @Override
        public Status status() {
            return watch.status();
        }

        @Override
        public void close() {
            watch.close();
            discoveries.remove(service, this);
        }
    }

    /** The state of every endpoint of {@code service}, in configuration order. */
    public List<EndpointStatus> endpoints(String service) {
        Channel channel = channel(service);
        long now = channel.balancer().registry().ticker().nanos();
        List<EndpointStatus> list = new ArrayList<>();
        for (EndpointState state : channel.members()) {
            list.add(new EndpointStatus(state.address(), state.isEligible(now), state.health() == Health.HEALTHY,
                    state.isEjected(now), state.active(), state.requests(), state.failures()));
        }
        return List.copyOf(list);
    }

    /**
     * Stops background work and cancels the calls still running on HTTP clients this client made: they
     * fail {@code CANCELLED}, blaming no endpoint, and try no more. Calls on a client passed in with
     * {@link Builder#httpClient} are the caller's and run on to their deadlines.
     */
    @Override
    public void close() {
        closed = true;
        for (Watch discovery : List.copyOf(discoveries.values())) {
            discovery.close();
        }
        if (!ownedHttpClients.isEmpty()) {
            // Cancelled first: the HTTP clients stopped under them would read as resets, and a call
            // waiting out a backoff would try again on a stopped client.
            for (CallContext context : running) {
                cancel(context, "closing");
            }
        }
        asyncCalls.shutdown();
        for (Channel channel : channels.values()) {
            channel.close();
        }
        for (HttpClient http : ownedHttpClients) {
            http.shutdownNow();
        }
        if (ownedControl != null) {
            ownedControl.shutdownNow();
        }
        resources.close();
    }

    /** The service's {@code connect_timeout}, capped by a try's timeout as {@link Channel#connectTimeout} says. */
    static Duration connectTimeout(ServiceConfig config) {
        return Channel.connectTimeout(config.connectTimeout(), config.tryTimeout());
    }

    /**
     * Cancels {@code context}; a cancel hook that throws (an interceptor's; every hook still ran) is
     * logged, not thrown at whoever closes the client or settles a call's future.
     */
    private static void cancel(CallContext context, String doing) {
        try {
            context.cancel();
        } catch (RuntimeException | Error e) {
            log.warn("{}: a cancel hook failed", doing, e);
        }
    }

    private Channel channel(String service) {
        Channel channel = channels.get(service);
        if (channel == null) {
            throw new IllegalArgumentException("service: '" + service + "' (expected one of: "
                    + String.join(", ", new java.util.TreeSet<>(channels.keySet())) + ")");
        }
        return channel;
    }

    /**
     * The future of an async call: completing it from outside, by {@code cancel}, {@code orTimeout},
     * {@code completeOnTimeout}, {@code complete}, {@code completeAsync} or an {@code obtrude}, cancels
     * the call, which frees its endpoint.
     */
    private static final class CallFuture extends CompletableFuture<ClientResponse> {

        private final CallContext scope;

        CallFuture(CallContext scope) {
            this.scope = scope;
        }

        /** The call's own result. */
        void finish(ClientResponse response) {
            super.complete(response);
        }

        /** The call's own failure. */
        void fail(Throwable failure) {
            super.completeExceptionally(failure);
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean cancelled = super.cancel(mayInterruptIfRunning);
            BallastClient.cancel(scope, "cancelling a call");
            return cancelled;
        }

        @Override
        public boolean complete(ClientResponse value) {
            boolean completed = super.complete(value);
            if (completed) {
                BallastClient.cancel(scope, "completing a call");
            }
            return completed;
        }

        @Override
        public boolean completeExceptionally(Throwable failure) {
            boolean completed = super.completeExceptionally(failure);
            if (completed) {
                BallastClient.cancel(scope, "failing a call"); // e.g. orTimeout's TimeoutException
            }
            return completed;
        }

        /** CompletableFuture's own sets the result without {@link #complete}: through it here. */
        @Override
        public CompletableFuture<ClientResponse> completeAsync(Supplier<? extends ClientResponse> supplier,
                                                               Executor executor) {
            Objects.requireNonNull(supplier, "supplier");
            Objects.requireNonNull(executor, "executor");
            executor.execute(() -> {
                if (isDone()) {
                    return;
                }
                try {
                    complete(supplier.get());
                } catch (Throwable e) { // wrapped, as CompletableFuture's own does
                    completeExceptionally(e instanceof CompletionException ? e : new CompletionException(e));
                }
            });
            return this;
        }

        @Override
        public void obtrudeValue(ClientResponse value) {
            super.obtrudeValue(value);
            BallastClient.cancel(scope, "obtruding a result on a call");
        }

        @Override
        public void obtrudeException(Throwable failure) {
            super.obtrudeException(failure);
            BallastClient.cancel(scope, "obtruding a failure on a call");
        }
    }

    /** Builds a {@link BallastClient}. */
    public static final class Builder {

        private final Map<String, ServiceConfig> services = new LinkedHashMap<>();
        private final List<Interceptor> interceptors = new ArrayList<>();
        private CallListener listener = CallListener.NONE;
        private HttpClient httpClient;
        private HttpClient.Version httpVersion = HttpClient.Version.HTTP_1_1;
        private Ticker ticker = Ticker.system();
        private Scheduler scheduler;
        private Rng rng = Rng.threadLocal();

        private Builder() {
        }

        /** Adds a service; its name must be unique. */
        public Builder service(ServiceConfig config) {
            Objects.requireNonNull(config, "config");
            if (services.putIfAbsent(config.name(), config) != null) {
                throw new IllegalArgumentException("services." + config.name() + ": configured twice (expected: unique names)");
            }
            return this;
        }

        public Builder services(List<ServiceConfig> configs) {
            configs.forEach(this::service);
            return this;
        }

        /** Appends an interceptor: they run in the order added, before the service's own steps. */
        public Builder interceptor(Interceptor interceptor) {
            interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
            return this;
        }

        /** Receives attempt and endpoint events (metrics, tracing). */
        public Builder listener(CallListener callListener) {
            this.listener = Objects.requireNonNull(callListener, "listener");
            return this;
        }

        /**
         * The {@link HttpClient} every service uses (for TLS settings, proxies, an executor). Its
         * lifecycle stays with the caller, and the services' connect timeouts are then its own.
         */
        public Builder httpClient(HttpClient client) {
            this.httpClient = Objects.requireNonNull(client, "client");
            return this;
        }

        /**
         * HTTP version of the clients this client makes: HTTP/1.1 by default; HTTP/2 negotiates by
         * ALPN over https and tries an h2c upgrade over http, falling back to HTTP/1.1.
         */
        public Builder httpVersion(HttpClient.Version version) {
            this.httpVersion = Objects.requireNonNull(version, "version");
            return this;
        }

        /** The clock for latencies and ejections (tests inject a fake one). */
        public Builder ticker(Ticker clock) {
            this.ticker = Objects.requireNonNull(clock, "ticker");
            return this;
        }

        /** Runs control-path work (slow start, ejection expiry, health checks); a daemon thread by default. */
        public Builder scheduler(Scheduler control) {
            this.scheduler = Objects.requireNonNull(control, "scheduler");
            return this;
        }

        /** Randomness for balancers and backoff jitter (tests inject a seeded or fixed one). Thread-safe. */
        public Builder rng(Rng random) {
            this.rng = Objects.requireNonNull(random, "rng");
            return this;
        }

        public BallastClient build() {
            if (services.isEmpty()) {
                throw new IllegalStateException("services: none (expected: at least one service(...))");
            }
            return new BallastClient(this);
        }
    }
}
