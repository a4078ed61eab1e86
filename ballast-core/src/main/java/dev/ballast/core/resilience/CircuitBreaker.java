package dev.ballast.core.resilience;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Envoy-style circuit breaking: hard limits on what an upstream may have outstanding at once, so that
 * when it slows down, callers fail fast (503, saying which limit) instead of queueing without bound.
 * It is not a state machine: a limit is "open" exactly while its count is at the maximum and recovers
 * as soon as a release brings the count below it.
 *
 * <p>Three independent limits:
 * <ul>
 *   <li>{@code max_connections}: connections open to the upstream's endpoints (the proxy's pools ask
 *       before connecting; the client, whose {@code HttpClient} owns its connections, does not use it);</li>
 *   <li>{@code max_pending_requests}: requests waiting for a connection;</li>
 *   <li>{@code max_requests}: requests in flight to the upstream.</li>
 * </ul>
 *
 * <p>Each {@code tryAcquire*} returns an {@link Admission} value; on {@link Admission#ADMITTED} the
 * caller must call the matching {@code release*} exactly once. Thread-safety: lock-free CAS on one
 * counter per limit; nothing allocates.
 */
public final class CircuitBreaker {

    /** Envoy's default for each limit. */
    public static final int DEFAULT_LIMIT = 1024;

    /** The answer of a {@code tryAcquire}: admitted, or the limit that was reached. */
    public enum Admission {
        ADMITTED(""),
        MAX_CONNECTIONS("max_connections"),
        MAX_PENDING_REQUESTS("max_pending_requests"),
        MAX_REQUESTS("max_requests");

        private final String limitName;

        Admission(String limitName) {
            this.limitName = limitName;
        }

        public boolean admitted() {
            return this == ADMITTED;
        }

        /** The configuration key of the limit that was reached; empty when admitted. */
        public String limitName() {
            return limitName;
        }
    }

    private final Limit connections;
    private final Limit pending;
    private final Limit requests;

    private CircuitBreaker(int maxConnections, int maxPendingRequests, int maxRequests) {
        this.connections = new Limit(maxConnections, Admission.MAX_CONNECTIONS);
        this.pending = new Limit(maxPendingRequests, Admission.MAX_PENDING_REQUESTS);
        this.requests = new Limit(maxRequests, Admission.MAX_REQUESTS);
    }

    /** A breaker with the given limits, each >= 1. */
    public static CircuitBreaker of(int maxConnections, int maxPendingRequests, int maxRequests) {
        check("max_connections", maxConnections);
        check("max_pending_requests", maxPendingRequests);
        check("max_requests", maxRequests);
        return new CircuitBreaker(maxConnections, maxPendingRequests, maxRequests);
    }

    /** Envoy's defaults: 1024 of each. */
    public static CircuitBreaker defaults() {
        return of(DEFAULT_LIMIT, DEFAULT_LIMIT, DEFAULT_LIMIT);
    }

    /** No limits (each is {@link Integer#MAX_VALUE}); still counts. A fresh instance each call. */
    public static CircuitBreaker unlimited() {
        return new CircuitBreaker(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE);
    }

    private static void check(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: >= 1)");
        }
    }

    public Admission tryAcquireConnection() {
        return connections.tryAcquire();
    }

    public void releaseConnection() {
        connections.release();
    }

    public Admission tryAcquirePendingRequest() {
        return pending.tryAcquire();
    }

    public void releasePendingRequest() {
        pending.release();
    }

    public Admission tryAcquireRequest() {
        return requests.tryAcquire();
    }

    public void releaseRequest() {
        requests.release();
    }

    public int connections() {
        return connections.count.get();
    }

    public int pendingRequests() {
        return pending.count.get();
    }

    public int requests() {
        return requests.count.get();
    }

    /** The configured maximum of the limit that {@code admission} names. */
    public int max(Admission admission) {
        return limit(admission).max;
    }

    /** How many acquisitions the limit {@code admission} names has refused (a counter for metrics). */
    public long rejected(Admission admission) {
        return limit(admission).rejected.sum();
    }

    /** For the 503 body and logs, e.g. {@code "circuit breaker: max_requests (1024) reached"}. */
    public String describe(Admission admission) {
        if (admission.admitted()) {
            return "circuit breaker: admitted";
        }
        return "circuit breaker: " + admission.limitName() + " (" + max(admission) + ") reached";
    }

    private Limit limit(Admission admission) {
        return switch (admission) {
            case MAX_CONNECTIONS -> connections;
            case MAX_PENDING_REQUESTS -> pending;
            case MAX_REQUESTS -> requests;
            case ADMITTED -> throw new IllegalArgumentException("ADMITTED names no limit");
        };
    }

    @Override
    public String toString() {
        return "CircuitBreaker[connections " + connections() + "/" + connections.max + ", pending "
                + pendingRequests() + "/" + pending.max + ", requests " + requests() + "/" + requests.max + "]";
    }

    /** One bounded counter. The CAS loop never lets the count pass {@code max}, even under races. */
    private static final class Limit {

        final int max;
        final Admission whenFull;
        final AtomicInteger count = new AtomicInteger();
        final LongAdder rejected = new LongAdder();

        Limit(int max, Admission whenFull) {
            this.max = max;
            this.whenFull = whenFull;
        }

        Admission tryAcquire() {
            int current;
            do {
                current = count.get();
                if (current >= max) {
                    rejected.increment();
                    return whenFull;
                }
            } while (!count.compareAndSet(current, current + 1));
            return Admission.ADMITTED;
        }

        void release() {
            int current;
            do {
                current = count.get();
                if (current == 0) {
                    throw new IllegalStateException(
                            "circuit breaker: " + whenFull.limitName() + " released more often than acquired");
                }
            } while (!count.compareAndSet(current, current - 1));
        }
    }
}
