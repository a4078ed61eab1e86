package dev.ballast.core.outlier;

import dev.ballast.core.pick.Balancer;
import dev.ballast.core.state.EndpointState;
import dev.ballast.core.state.Health;
import dev.ballast.core.time.Scheduler;
import dev.ballast.core.time.Ticker;
import org.slf4j.Logger;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ejects on {@code consecutive_failures} failures in a row, as Envoy's {@code consecutive_5xx} (which
 * also counts locally originated connect failures, resets and timeouts), with Envoy's ejection
 * backoff and decay.
 *
 * <p>Split of the work: the data path only bumps or clears one {@link AtomicInteger} per endpoint and,
 * on the failure that completes a run (exactly one thread sees the count reach the threshold), hands
 * the endpoint's preallocated {@code evaluate} task to the scheduler. Everything else (the ejection
 * budget, the backoff, the balancer refresh, logs, listener) runs under this object's lock on the
 * scheduler: one writer.
 *
 * <p>Endpoints are found by identity in a {@link ConcurrentHashMap} whose reads take no lock and
 * allocate nothing; {@code EndpointState} does not override {@code equals}.
 */
final class ConsecutiveFailureDetector implements OutlierDetector {

    private final Balancer balancer;
    private final OutlierDetection settings;
    private final Scheduler scheduler;
    private final Ticker ticker;
    private final OutlierListener listener;
    private final String name;
    private final Logger log;
    private final int threshold;
    private final long decayNanos;
    /** The first ordinal whose ejection reaches the cap: the multiplier stops growing there, as in Envoy. */
    private final int maxOrdinal;

    private final Map<EndpointState, Tracker> trackers = new ConcurrentHashMap<>();

    // Guarded by this.
    private boolean closed;
    private long ejections;
    private long refused;

    ConsecutiveFailureDetector(OutlierDetector.Builder builder) {
        this.balancer = builder.balancer;
        this.settings = builder.settings;
        this.scheduler = builder.scheduler;
        this.ticker = balancer.registry().ticker();
        this.listener = builder.listener;
        this.name = builder.name;
        this.log = builder.logger;
        this.threshold = settings.consecutiveFailures();
        this.decayNanos = settings.decayInterval().toNanos();
        long cap = settings.maxEjectionTime().toNanos();
        int ordinal = 1;
        while (settings.ejectionNanos(ordinal) < cap) {
            ordinal++;
        }
        this.maxOrdinal = ordinal;
    }

    // ---- data path ----

    @Override
    public void record(EndpointState endpoint, Outcome outcome) {
        endpoint.recordOutcome(outcome.failure());
        Tracker tracker = trackers.get(endpoint);
        if (tracker == null) {
            return;
        }
        if (!outcome.failure()) {
            if (tracker.run.get() != 0) { // read first: no shared write per successful request
                tracker.run.set(0);
            }
            return;
        }
        tracker.lastFailure = outcome;
        if (tracker.run.incrementAndGet() == threshold) {
            try {
                scheduler.schedule(tracker.evaluate, 0);
            } catch (RuntimeException rejected) {
                // The scheduler is shutting down with the upstream: nothing left to eject from.
                tracker.run.set(0);
            }
        }
    }

    // ---- control path ----

    private synchronized void evaluate(Tracker tracker) {
        if (closed || trackers.get(tracker.endpoint) != tracker) {
            return;
        }
        int run = tracker.run.getAndSet(0);
        EndpointState endpoint = tracker.endpoint;
        long now = ticker.nanos();
        if (endpoint.isEjected(now)) {
            return; // failures of requests that were in flight (or panic-mode traffic) while ejected
        }
        // Counted over the endpoints not draining, as panic mode counts them: a drained endpoint
        // must not make room for an ejection that leaves too few to take the traffic.
        List<EndpointState> members = balancer.members();
        int serving = countServing(members);
        int ejectedNow = countEjectedServing(members, now);
        int allowed = settings.maxEjected(serving);
        if (ejectedNow + 1 > allowed) {
            refused++;
            log.debug("{}: not ejecting {} after {} failures in a row: {} of {} endpoints not draining ejected"
                    + " already (max_ejection_percent {})", name, endpoint.address(), Math.max(run, threshold),
                    ejectedNow, serving, settings.maxEjectionPercent());
            tell(() -> listener.ejectionRefused(endpoint, ejectedNow, allowed));
            return;
        }
        int ordinal = tracker.nextOrdinal(now);
        long duration = settings.ejectionNanos(ordinal);
        long until = now + duration;
        endpoint.eject(until);
        tracker.readmitAt = until;
        tracker.readmit = scheduler.schedule(() -> readmit(tracker, until), duration);
        ejections++;
        balancer.refresh();
        Outcome last = tracker.lastFailure;
        int failures = Math.max(run, threshold);
        log.warn("{}: ejecting {} for {} ms ({} failures in a row, last: {}; ejection #{})", name,
                endpoint.address(), duration / 1_000_000, failures, last.description(), ordinal);
        Ejection ejection = new Ejection(endpoint, ordinal, duration, until, last, failures);
        tell(() -> listener.ejected(ejection));
    }

    private synchronized void readmit(Tracker tracker, long until) {
        if (closed || trackers.get(tracker.endpoint) != tracker || tracker.readmitAt != until) {
            return;
        }
        tracker.readmit = null;
        EndpointState endpoint = tracker.endpoint;
        endpoint.unEject();
        tracker.run.set(0); // failures seen while out (panic-mode traffic) do not count against it
        balancer.refresh();
        if (endpoint.health() == Health.HEALTHY) {
            log.info("{}: re-admitting {} after ejection #{}", name, endpoint.address(), tracker.ordinal);
        } else {
            log.info("{}: ejection #{} of {} over; it stays out while it fails its health checks", name,
                    tracker.ordinal, endpoint.address());
        }
        tell(() -> listener.readmitted(endpoint));
    }

    @Override
    public synchronized void sync() {
        if (closed) {
            return;
        }
        List<EndpointState> members = balancer.members();
        Set<EndpointState> current = Collections.newSetFromMap(new IdentityHashMap<>());
        current.addAll(members);
        for (Tracker tracker : new ArrayList<>(trackers.values())) {
            if (!current.contains(tracker.endpoint)) {
                trackers.remove(tracker.endpoint);
                tracker.cancel();
            }
        }
        for (EndpointState endpoint : members) {
            trackers.computeIfAbsent(endpoint, Tracker::new);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long now = ticker.nanos();
        boolean changed = false;
        for (Tracker tracker : trackers.values()) {
            tracker.cancel();
            if (tracker.readmitAt != 0 && tracker.endpoint.ejectedUntilNanos() == tracker.readmitAt
                    && tracker.endpoint.isEjected(now)) {
                tracker.endpoint.unEject();
                changed = true;
            }
        }
        trackers.clear();
        if (changed) {
            balancer.refresh();
            log.info("{}: outlier detection stopped; ejected endpoints re-admitted", name);
        }
    }

    @Override
    public synchronized long ejections() {
        return ejections;
    }

    @Override
    public synchronized long ejectionsRefused() {
        return refused;
    }

    @Override
    public int ejectedNow() {
        return countEjected(balancer.members(), ticker.nanos());
    }

    private static int countEjected(List<EndpointState> members, long now) {
        int ejected = 0;
        for (EndpointState member : members) {
            if (member.isEjected(now)) {
                ejected++;
            }
        }
        return ejected;
    }

    private static int countServing(List<EndpointState> members) {
        int serving = 0;
        for (EndpointState member : members) {
            if (!member.isDraining()) {
                serving++;
            }
        }
        return serving;
    }

    private static int countEjectedServing(List<EndpointState> members, long now) {
        int ejected = 0;
        for (EndpointState member : members) {
            if (!member.isDraining() && member.isEjected(now)) {
                ejected++;
            }
        }
        return ejected;
    }

    private void tell(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            log.warn("{}: outlier listener failed", name, e);
        }
    }

    /** What the detector knows about one endpoint. {@code run} is the data path's; the rest is guarded by the detector. */
    private final class Tracker {

        final EndpointState endpoint;
        final AtomicInteger run = new AtomicInteger();
        final Runnable evaluate = () -> evaluate(this);
        volatile Outcome lastFailure = Outcome.SERVER_ERROR;

        /** Ejections in a row, decayed lazily; the next ejection is number {@code ordinal + 1}. */
        int ordinal;
        /** When the last ejection ended (or ends); 0 before the first. */
        long readmitAt;
        Scheduler.Cancellable readmit;

        Tracker(EndpointState endpoint) {
            this.endpoint = endpoint;
        }

        /**
         * Envoy lowers the multiplier by one at each sweep interval in which the host is not ejected;
         * the same, computed when it is next needed instead of on a timer.
         */
        int nextOrdinal(long now) {
            if (ordinal > 0 && readmitAt != 0) {
                long clean = Math.max(0, now - readmitAt);
                long steps = clean / decayNanos;
                ordinal = (int) Math.max(0, ordinal - steps);
            }
            ordinal = Math.min(ordinal + 1, maxOrdinal);
            return ordinal;
        }

        void cancel() {
            if (readmit != null) {
                readmit.cancel();
                readmit = null;
            }
        }
    }
}
