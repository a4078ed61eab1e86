package dev.ballast.proxy.upstream;

import dev.ballast.core.config.HostPort;
import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.time.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Follows DNS for endpoints given by host name ({@code dns_refresh}): every period, looks each name up
 * again and reports the ones whose address changed, so a service that moves (a container restarted
 * on another IP) keeps getting traffic. Endpoints given as IP addresses are never looked up.
 *
 * <p>A lookup may block for seconds, so it runs on a virtual thread, never on an event loop nor on the
 * control thread; the results are applied back on the control path. A name that no longer resolves
 * keeps its last address (and is logged once until it resolves again): a DNS outage must not take
 * healthy endpoints out of rotation. A name with several addresses keeps the one in use while the
 * name still lists it, so a rotating answer order (round-robin DNS) does not churn connections; a new
 * one takes the first address listed. An endpoint marked {@code resolve: all} instead gets every
 * address as a member of its own ({@link NameExpansion}): each answer is handed to the upstream, which
 * adds and removes members when the set of addresses changes.
 */
final class DnsRefresh implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DnsRefresh.class);

    /** What DnsRefresh follows names for: the upstream's side, called on the control path only. */
    interface Target {

        /** The endpoints given by host name now: the one-address members and the {@code resolve: all} endpoints. */
        List<Endpoint> named();

        /** True when {@code endpoint} stands for every address of its name ({@code resolve: all}). */
        boolean resolvesAll(Endpoint endpoint);

        /** True when {@code endpoint} has no address yet: its name did not resolve so far. */
        boolean unresolved(Endpoint endpoint);

        /** The address a one-address {@code endpoint} uses now. */
        InetSocketAddress current(Endpoint endpoint);

        /** A one-address {@code endpoint}'s name no longer lists the address in use: use {@code address}. */
        void moved(Endpoint endpoint, InetSocketAddress address);

        /** A {@code resolve: all} {@code endpoint}'s name resolves to {@code addresses} now (maybe the same set). */
        void resolved(Endpoint endpoint, List<InetAddress> addresses);
    }

    private final String upstream;
    private final long periodNanos;
    private final Scheduler control;
    private final Target target;
    /** Names whose last lookup failed: logged once per failure streak. Control path only. */
    private final Set<String> failing = new HashSet<>();
    private Scheduler.Cancellable next;
    private volatile boolean closed;

    DnsRefresh(String upstream, long periodMillis, Scheduler control, Target target) {
        this.upstream = upstream;
        this.periodNanos = TimeUnit.MILLISECONDS.toNanos(periodMillis);
        this.control = control;
        this.target = target;
    }

    /** True for a host name, false for an IP address: the configuration's rule ({@link HostPort#isIpAddress}). */
    static boolean isHostName(String host) {
        return !new HostPort(host, 0).isIpAddress();
    }

    /**
     * Schedules the first round, at once when a name did not resolve at start (its endpoint cannot be
     * connected to until it does); a period of 0 means never.
     */
    void start() {
        if (periodNanos <= 0) {
            return;
        }
        boolean unresolved = false;
        for (Endpoint endpoint : target.named()) {
            if (target.unresolved(endpoint)) {
                unresolved = true;
                failing.add(endpoint.address()); // its failed lookup at start was logged as it happened
            }
        }
        schedule(unresolved ? 0 : periodNanos);
    }

    /**
     * {@code address}'s name failed to resolve as it joined, and the upstream said so: a round that
     * fails it again is silent, and the one that resolves it says so. Control path only.
     */
    void failureSaid(String address) {
        failing.add(address);
    }

    private synchronized void schedule(long delayNanos) {
        if (closed) {
            return;
        }
        try {
            next = control.schedule(this::round, delayNanos);
        } catch (RejectedExecutionException e) {
            closed = true; // the control path is shutting down
        }
    }

    /** On the control path: look the names up off it; {@link #apply} schedules the next round. */
    private void round() {
        List<Endpoint> named = new ArrayList<>();
        try {
            named.addAll(target.named());
        } catch (RuntimeException e) {
            log.warn("upstream {}: DNS refresh skipped a round: {}", upstream, e.toString());
        }
        if (named.isEmpty() || closed) {
            schedule(periodNanos);
            return;
        }
        Thread.ofVirtual().name("ballast-dns-" + upstream).start(() -> lookUp(named));
    }

    /**
     * Each name on a virtual thread of its own, its answer applied as it comes: a name whose resolver
     * does not answer holds up no other name's move, and a host listed under two ports is looked up
     * once. The last answer of the round schedules the next.
     */
    private void lookUp(List<Endpoint> named) {
        Map<String, List<Endpoint>> byHost = new LinkedHashMap<>();
        for (Endpoint endpoint : named) {
            byHost.computeIfAbsent(endpoint.host(), host -> new ArrayList<>()).add(endpoint);
        }
        AtomicInteger unanswered = new AtomicInteger(byHost.size());
        byHost.forEach((host, endpoints) -> Thread.ofVirtual().name("ballast-dns-" + upstream).start(() -> {
            Map<Endpoint, InetAddress[]> resolved = new LinkedHashMap<>();
            Map<Endpoint, String> failures = new LinkedHashMap<>();
            try {
                InetAddress[] addresses = InetAddress.getAllByName(host);
                endpoints.forEach(endpoint -> resolved.put(endpoint, addresses));
            } catch (UnknownHostException | RuntimeException e) { // whatever else a lookup throws fails this name only
                endpoints.forEach(endpoint -> failures.put(endpoint, e.toString()));
            }
            boolean last = unanswered.decrementAndGet() == 0;
            try {
                control.schedule(() -> apply(resolved, failures, last), 0);
            } catch (RejectedExecutionException e) {
                closed = true; // shutting down: nothing to apply
            }
        }));
    }

    private void apply(Map<Endpoint, InetAddress[]> resolved, Map<Endpoint, String> failures, boolean lastOfRound) {
        try {
            if (!closed) {
                applyLookups(resolved, failures);
            }
        } catch (RuntimeException e) {
            log.warn("upstream {}: DNS refresh failed to apply a round: {}", upstream, e.toString());
        } finally {
            if (lastOfRound) {
                schedule(periodNanos);
            }
        }
    }

    private void applyLookups(Map<Endpoint, InetAddress[]> resolved, Map<Endpoint, String> failures) {
        // The round looked up the names of its start; a reload or discovery may have dropped some since.
        // Answers for those are not applied: the upstream no longer knows them, and asking it where one
        // points now would look the name up on the control path, blocking it for a resolver's timeout.
        Set<Endpoint> named = new HashSet<>(target.named());
        resolved.keySet().retainAll(named);
        failures.keySet().retainAll(named);
        failures.forEach((endpoint, problem) -> {
            if (failing.add(endpoint.address())) {
                String meanwhile = target.unresolved(endpoint)
                        ? (target.resolvesAll(endpoint) ? "it adds no endpoint until it does"
                                : "requests to it fail until it does")
                        : "keeping " + (target.resolvesAll(endpoint) ? "its last addresses"
                                : describe(target.current(endpoint)));
                log.warn("upstream {}: endpoint {}: cannot resolve {} ({}); {}", upstream, endpoint.address(),
                        endpoint.host(), problem, meanwhile);
            }
        });
        resolved.forEach((endpoint, addresses) -> {
            if (failing.remove(endpoint.address())) {
                log.info("upstream {}: endpoint {}: {} resolves {}", upstream, endpoint.address(), endpoint.host(),
                        target.unresolved(endpoint) ? "now" : "again");
            }
            if (target.resolvesAll(endpoint)) {
                target.resolved(endpoint, Arrays.asList(addresses));
                return;
            }
            InetSocketAddress before = target.current(endpoint);
            if (!before.isUnresolved() && Arrays.asList(addresses).contains(before.getAddress())) {
                return; // still one of the name's addresses: a rotating answer order moves nothing
            }
            InetSocketAddress after = new InetSocketAddress(addresses[0], endpoint.port());
            log.info("upstream {}: endpoint {} now resolves to {} (was {})", upstream, endpoint.address(),
                    describe(after), describe(before));
            target.moved(endpoint, after);
        });
    }

    private static String describe(InetSocketAddress address) {
        return address.isUnresolved() ? "unresolved" : address.getAddress().getHostAddress();
    }

    /**
     * A reload looked {@code endpoint}'s name up and it resolved: should a refresh have failed to before,
     * the next failure is said again, and the next success is not news. Control path.
     */
    void resolvedElsewhere(Endpoint endpoint) {
        failing.remove(endpoint.address());
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (next != null) {
            next.cancel();
            next = null;
        }
    }
}
