package dev.ballast.core.health;

import dev.ballast.core.pick.Balancer;
import dev.ballast.core.pick.Rng;
import dev.ballast.core.state.EndpointState;
import dev.ballast.core.state.Health;
import dev.ballast.core.time.Scheduler;
import dev.ballast.core.time.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Active health checking of one {@link Balancer}'s endpoints with any {@link HealthChecker}.
 *
 * <p>Per endpoint, a probe loops on the {@link Scheduler}: wait (the first time {@code initial_delay}
 * plus up to {@code jitter * interval}, then {@code interval * (1 ± jitter)}), check, and feed the
 * result to the endpoint's {@link RiseFall}. A check that has not answered within {@code timeout}
 * fails and its future is cancelled. The next wait starts when a check ends, so checks of one
 * endpoint never overlap. When the verdict changes, the monitor sets it on the {@link EndpointState},
 * refreshes the balancer (which drops or re-admits the endpoint, with slow start), logs the change
 * once (WARN when an endpoint goes unhealthy, INFO when it recovers) and tells the {@link
 * HealthListener}.
 *
 * <p>Endpoints keep the health they have when their probe starts ({@code EndpointState} starts
 * healthy), so a new endpoint takes traffic at once and is taken out after {@code unhealthy_threshold}
 * failed checks; outlier detection covers it from the first request.
 *
 * <p>Threading: {@link #sync} and {@link #close} come from the upstream's one control-path writer.
 * Check results may complete on any thread; they are handed to the scheduler, where the state machine,
 * the balancer refresh, the log and the listener run, so a transport's event loop never waits for a
 * balancer rebuild.
 */
public final class HealthMonitor implements AutoCloseable {

    private final Balancer balancer;
    private final HealthChecker checker;
    private final HealthCheckSettings settings;
    private final Scheduler scheduler;
    private final Ticker ticker;
    private final Rng rng;
    private final HealthListener listener;
    private final String name;
    private final Logger log;
    private final long intervalNanos;
    private final long timeoutNanos;
    private final long initialDelayNanos;
    private final CheckOutcome timedOut;

    // Guarded by this.
    private final Map<EndpointState, Probe> probes = new IdentityHashMap<>();
    private boolean closed;

    private HealthMonitor(Builder builder) {
        this.balancer = builder.balancer;
        this.checker = builder.checker;
        this.settings = builder.settings;
        this.scheduler = builder.scheduler;
        this.ticker = balancer.registry().ticker();
        this.rng = builder.rng;
        this.listener = builder.listener;
        this.name = builder.name;
        this.log = builder.logger;
        this.intervalNanos = settings.interval().toNanos();
        this.timeoutNanos = settings.timeout().toNanos();
        this.initialDelayNanos = settings.initialDelay().toNanos();
        this.timedOut = CheckOutcome.failed("no answer within " + settings.timeout().toMillis() + " ms");
    }

    /** A monitor for {@code balancer}'s members; needs a {@link Builder#scheduler scheduler}. */
    public static Builder builder(Balancer balancer, HealthChecker checker, HealthCheckSettings settings) {
        return new Builder(balancer, checker, settings);
    }

    public HealthCheckSettings settings() {
        return settings;
    }

    /**
     * Follows the balancer's membership: starts probing members that have no probe and stops the probes
     * of endpoints that left (cancelling a check in flight). The first call starts checking; call again
     * after each {@link Balancer#setEndpoints}. A no-op after {@link #close}.
     */
    public synchronized void sync() {
        if (closed) {
            return;
        }
        List<EndpointState> members = balancer.members();
        Set<EndpointState> current = Collections.newSetFromMap(new IdentityHashMap<>());
        current.addAll(members);
        for (Iterator<Map.Entry<EndpointState, Probe>> it = probes.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<EndpointState, Probe> entry = it.next();
            EndpointState endpoint = entry.getKey();
            Probe probe = entry.getValue(); // read before remove(): an IdentityHashMap entry dies with it
            if (!current.contains(endpoint)) {
                it.remove();
                probe.stop();
                log.debug("{}: stopped health checks of removed endpoint {}", name, endpoint.address());
            }
        }
        for (EndpointState member : members) {
            if (!probes.containsKey(member)) {
                Probe probe = new Probe(member);
                probes.put(member, probe);
                probe.schedule(firstDelay());
            }
        }
    }

    /** Stops every probe and cancels checks in flight. Endpoints keep their last verdict. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Probe probe : probes.values()) {
            probe.stop();
        }
        probes.clear();
    }

    /** The state machine of each probed endpoint by address, in membership order (for the dashboard). */
    public synchronized Map<String, HealthStatus> statuses() {
        Map<String, HealthStatus> statuses = new LinkedHashMap<>();
        for (EndpointState member : balancer.members()) {
            Probe probe = probes.get(member);
            if (probe != null) {
                statuses.put(member.address(), probe.riseFall.status());
            }
        }
        return statuses;
    }

    /** How many endpoints are being probed. */
    public synchronized int probed() {
        return probes.size();
    }

    private long firstDelay() {
        return initialDelayNanos + (long) (intervalNanos * settings.jitter() * rng.nextDouble());
    }

    private long nextDelay() {
        double spread = settings.jitter() * (2 * rng.nextDouble() - 1);
        return Math.max(0, intervalNanos + (long) (intervalNanos * spread));
    }

    /**
     * Calls the listener. Whatever it throws, an Error too (an AssertionError, a NoClassDefFoundError), is
     * logged and goes no further: thrown on, it would skip scheduling the endpoint's next check, and the
     * executor would keep it in a future no one reads, so that endpoint would never be checked again.
     */
    private void tell(Runnable call) {
        try {
            call.run();
        } catch (Throwable e) {
            log.warn("{}: health listener failed", name, e);
        }
    }

    private static String describe(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof CancellationException) {
            return "check cancelled";
        }
        String message = cause.getMessage();
        return message == null || message.isBlank()
                ? cause.getClass().getSimpleName()
                : cause.getClass().getSimpleName() + ": " + message;
    }

    private static String checks(int n) {
        return n == 1 ? "1 check" : n + " checks";
    }

    /** The check loop of one endpoint. Lifecycle fields are guarded by the probe. */
    private final class Probe {

        final EndpointState endpoint;
        final RiseFall riseFall;
        /** Written by {@link #apply} only, which never runs concurrently with itself for one probe. */
        private String lastFailure = "";

        private Scheduler.Cancellable next;
        private Check inFlight;
        private boolean stopped;

        Probe(EndpointState endpoint) {
            this.endpoint = endpoint;
            this.riseFall = new RiseFall(settings.unhealthyThreshold(), settings.healthyThreshold(), endpoint.health());
        }

        synchronized void schedule(long delayNanos) {
            if (!stopped) {
                next = scheduler.schedule(this::run, delayNanos);
            }
        }

        void run() {
            Check check;
            synchronized (this) {
                if (stopped) {
                    return;
                }
                next = null;
                check = new Check(this);
                inFlight = check;
            }
            if (balancer.registry().get(endpoint.address()) != endpoint) {
                // Removed without a sync() yet: check no more; the next sync() drops the probe.
                stop();
                return;
            }
            check.start();
        }

        void stop() {
            Check check;
            synchronized (this) {
                stopped = true;
                if (next != null) {
                    next.cancel();
                    next = null;
                }
                check = inFlight;
                inFlight = null;
            }
            if (check != null) {
                check.abort();
            }
        }

        void apply(Check check, CheckOutcome outcome, long latencyNanos) {
            synchronized (this) {
                if (stopped || inFlight != check) {
                    return;
                }
                inFlight = null;
            }
            if (outcome instanceof CheckOutcome.Failed failed) {
                lastFailure = failed.reason();
            }
            RiseFall.Step step = riseFall.record(outcome.isPassed());
            tell(() -> listener.checked(endpoint, outcome, latencyNanos));
            if (step.transitioned()) {
                transition(step.before().health(), step.after().health());
            }
            schedule(nextDelay());
        }

        private void transition(Health from, Health to) {
            endpoint.setHealth(to);
            balancer.refresh();
            String reason;
            if (to == Health.UNHEALTHY) {
                reason = "failed " + checks(settings.unhealthyThreshold()) + " in a row, last: " + lastFailure;
                log.warn("{}: endpoint {} {} -> {} ({})", name, endpoint.address(), word(from), word(to), reason);
            } else {
                reason = "passed " + checks(settings.healthyThreshold()) + " in a row";
                log.info("{}: endpoint {} {} -> {} ({})", name, endpoint.address(), word(from), word(to), reason);
            }
            HealthTransition transition = new HealthTransition(endpoint, from, to, reason, ticker.nanos());
            tell(() -> listener.transitioned(transition));
        }

        private String word(Health health) {
            return health == Health.HEALTHY ? "healthy" : "unhealthy";
        }
    }

    /**
     * One check in flight. Its result comes either from the checker's future or from the timeout,
     * whichever is first: {@code done} lets exactly one of them through.
     */
    private final class Check {

        final Probe probe;
        final AtomicBoolean done = new AtomicBoolean();
        private volatile CompletableFuture<CheckOutcome> future;
        private volatile Scheduler.Cancellable timeout;
        private long startedNanos;

        Check(Probe probe) {
            this.probe = probe;
        }

        void start() {
            if (done.get()) {
                return; // stopped between being made and started
            }
            startedNanos = ticker.nanos();
            CompletableFuture<CheckOutcome> started;
            try {
                started = checker.check(probe.endpoint.endpoint());
            } catch (Throwable e) {
                // An Error too is a failed check: thrown on, the check would never finish, the next one
                // never be scheduled, and an unhealthy endpoint never recover.
                started = CompletableFuture.failedFuture(e);
            }
            if (started == null) {
                started = CompletableFuture.completedFuture(CheckOutcome.failed("checker returned no result"));
            }
            future = started;
            timeout = scheduler.schedule(() -> finish(timedOut), timeoutNanos);
            if (done.get()) {
                cancelTimeoutAndFuture(); // aborted while starting: abort() saw no future to cancel
                return;
            }
            started.whenComplete((outcome, error) -> finish(
                    outcome != null ? outcome
                            : CheckOutcome.failed(error != null ? describe(error) : "checker completed without an outcome")));
        }

        void finish(CheckOutcome outcome) {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            long latency = ticker.nanos() - startedNanos;
            cancelTimeoutAndFuture();
            scheduler.schedule(() -> probe.apply(this, outcome, latency), 0);
        }

        void abort() {
            if (done.compareAndSet(false, true)) {
                cancelTimeoutAndFuture();
            }
        }

        private void cancelTimeoutAndFuture() {
            Scheduler.Cancellable pending = timeout;
            if (pending != null) {
                pending.cancel();
            }
            CompletableFuture<CheckOutcome> started = future;
            if (started != null && !started.isDone()) {
                started.cancel(true); // tells the checker to close its connection
            }
        }
    }

    /** Builds a {@link HealthMonitor}. */
    public static final class Builder {

        private final Balancer balancer;
        private final HealthChecker checker;
        private final HealthCheckSettings settings;
        private Scheduler scheduler;
        private Rng rng = Rng.threadLocal();
        private HealthListener listener = HealthListener.NONE;
        private String name = "upstream";
        private Logger logger = LoggerFactory.getLogger(HealthMonitor.class);

        private Builder(Balancer balancer, HealthChecker checker, HealthCheckSettings settings) {
            this.balancer = Objects.requireNonNull(balancer, "balancer");
            this.checker = Objects.requireNonNull(checker, "checker");
            this.settings = Objects.requireNonNull(settings, "settings");
        }

        /** Runs the probes. Required. */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /** Randomness for jitter; must be thread-safe if the scheduler runs tasks on several threads. */
        public Builder rng(Rng rng) {
            this.rng = Objects.requireNonNull(rng, "rng");
            return this;
        }

        public Builder listener(HealthListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** The upstream's name, for logs. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Where transitions are logged; tests capture it. */
        Builder logger(Logger logger) {
            this.logger = Objects.requireNonNull(logger, "logger");
            return this;
        }

        /** Builds the monitor; checks start with the first {@link HealthMonitor#sync()}. */
        public HealthMonitor build() {
            if (scheduler == null) {
                throw new IllegalStateException("health checking needs a scheduler to run checks");
            }
            return new HealthMonitor(this);
        }
    }
}
