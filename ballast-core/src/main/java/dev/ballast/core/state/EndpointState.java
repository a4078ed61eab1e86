package dev.ballast.core.state;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.pick.PickResult;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * The live, mutable side of one endpoint: in-flight requests, latency EWMA, health, ejection and
 * draining. One instance per address per upstream, kept by an {@link EndpointRegistry}, so it
 * survives snapshot rebuilds and reloads while the endpoint is unchanged.
 *
 * <p>Thread-safety: every method is lock-free and allocation-free. Counters are updated with atomic
 * operations; health, ejection and draining are written by the control path and read by the data
 * path through volatile fields.
 */
public final class EndpointState extends EndpointCountersPadAfter {

    // active and ewma, written by every request, are padded fields of the superclasses (EndpointCounters).
    private static final VarHandle ACTIVE;
    private static final VarHandle EWMA;
    /**
     * The EWMA word: the estimate's float bits above, less their {@value #ESTIMATE_DROPPED_BITS} lowest
     * (a 15-bit mantissa, 3e-5 relative), and below, the sample's time in ticker milliseconds modulo
     * 2^40: 17 years either way before two times compare wrong (2^32 would be 24 days, less than an
     * endpoint may go without a sample, drained or down).
     */
    private static final int SAMPLE_TIME_BITS = 40;
    private static final long SAMPLE_TIME_MASK = (1L << SAMPLE_TIME_BITS) - 1;
    private static final int ESTIMATE_DROPPED_BITS = 8;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            ACTIVE = lookup.findVarHandle(EndpointCounters.class, "active", long.class);
            EWMA = lookup.findVarHandle(EndpointCounters.class, "ewma", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String address;
    private final EndpointRegistry registry;
    private final PickResult.Picked picked;

    private volatile Endpoint endpoint;

    private volatile Health health = Health.HEALTHY;
    private volatile long ejectedUntilNanos = Long.MIN_VALUE;
    private volatile boolean ejected;
    private volatile boolean draining;
    /** When the endpoint last became eligible (joined or recovered): the origin of its slow-start ramp. */
    private volatile long eligibleSinceNanos;
    private volatile boolean rampExempt = true;

    /** Observer and slot in one volatile reference, so a rebind can never pair one's observer with another's slot. */
    private volatile LoadBinding loadBinding = LoadBinding.NONE;

    /** Counted by every event loop on every request and read by the admin API: striped, not one shared line. */
    private final LongAdder requests = new LongAdder();
    private final LongAdder failures = new LongAdder();

    EndpointState(Endpoint endpoint, EndpointRegistry registry, long nowNanos) {
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.address = endpoint.address();
        this.registry = registry;
        this.picked = new PickResult.Picked(this);
        this.eligibleSinceNanos = nowNanos;
    }

    /** {@code host:port}: the key of this state. */
    public String address() {
        return address;
    }

    /** The upstream-wide registry this state belongs to. */
    public EndpointRegistry registry() {
        return registry;
    }

    /** The current identity (weight, zone, metadata may change across reloads; the address does not). */
    public Endpoint endpoint() {
        return endpoint;
    }

    void update(Endpoint newEndpoint) {
        this.endpoint = newEndpoint;
    }

    /** The preallocated result that hands this endpoint to a caller, so a pick allocates nothing. */
    public PickResult.Picked picked() {
        return picked;
    }

    // ---- in-flight requests ----

    /** Requests picked for this endpoint and not yet released. */
    public int active() {
        return (int) active;
    }

    /**
     * Counts one more request in flight. Balancers call this when they pick; callers never do.
     */
    public void acquire() {
        int now = (int) (long) ACTIVE.getAndAdd(this, 1L) + 1;
        loadBinding.loadChanged(now, 1);
    }

    /**
     * Counts one more request in flight only if fewer than {@code limit} are: the atomic admission
     * that bounded-load hashing needs so that a cap is never exceeded under concurrent picks.
     */
    public boolean tryAcquire(int limit) {
        int current;
        do {
            current = active();
            if (current >= limit) {
                return false;
            }
        } while (!ACTIVE.compareAndSet(this, (long) current, (long) current + 1));
        loadBinding.loadChanged(current + 1, 1);
        return true;
    }

    /**
     * Ends a request that a pick handed out, without a latency sample (e.g. it failed before a
     * response). Call exactly once per successful pick.
     */
    public void release() {
        int now = (int) (long) ACTIVE.getAndAdd(this, -1L) - 1;
        loadBinding.loadChanged(now, -1);
    }

    /** Ends a request and feeds its latency to the EWMA. Call exactly once per successful pick. */
    public void release(long latencyNanos) {
        observeLatency(latencyNanos);
        release();
    }

    /**
     * Ends a request and feeds its latency to the EWMA, stamped at {@code nowNanos}: the reading of the
     * registry's ticker that the caller took to measure the latency, so the clock is read once, not twice.
     */
    public void release(long latencyNanos, long nowNanos) {
        observeLatency(latencyNanos, nowNanos);
        release();
    }

    /**
     * Ends a request that got no answer within {@code waitedNanos} (a timeout): a lower bound of its
     * latency, fed to the EWMA only where it raises the estimate, so that an endpoint that stopped
     * answering looks slow at once instead of keeping the estimate of its last answers. A failure
     * that comes fast (a refused connection) is not a latency: release it with {@link #release()}.
     */
    public void releaseTimedOut(long waitedNanos, long nowNanos) {
        if (waitedNanos > latencyEwmaNanos(nowNanos)) {
            observeLatency(waitedNanos, nowNanos);
        }
        release();
    }

    /** Binds the index that follows this endpoint's load; balancers only. */
    public void bindLoadObserver(LoadObserver observer, int slot) {
        Objects.requireNonNull(observer, "observer");
        this.loadBinding = observer == LoadObserver.NONE ? LoadBinding.NONE : new LoadBinding(observer, slot);
    }

    private record LoadBinding(LoadObserver observer, int slot) {

        static final LoadBinding NONE = new LoadBinding(LoadObserver.NONE, 0);

        void loadChanged(int active, int delta) {
            observer.loadChanged(slot, active, delta);
        }
    }

    // ---- latency ----


    /**
     * Peak EWMA as in Finagle and Linkerd: a sample above the average replaces it at once (the peak),
     * a lower one is blended in with weight {@code 1 - exp(-elapsed / tau)}, so the estimate reacts to a
     * slowdown immediately and recovers smoothly.
     */
    public void observeLatency(long latencyNanos) {
        if (latencyNanos >= 0) {
            observeLatency(latencyNanos, registry.ticker().nanos());
        }
    }

    /** {@link #observeLatency(long)} with the time of the sample given (on the registry's ticker). */
    public void observeLatency(long latencyNanos, long nowNanos) {
        if (latencyNanos < 0) {
            return;
        }
        long nowMillis = (nowNanos / 1_000_000) & SAMPLE_TIME_MASK;
        long prev;
        long next;
        do {
            prev = ewma;
            float current = estimate(prev);
            double sample = latencyNanos;
            long elapsed = millisBetween(prev & SAMPLE_TIME_MASK, nowMillis);
            if (prev != 0 && sample <= current && elapsed <= 0) {
                return; // a lower sample in the same millisecond has weight 1 - exp(0) = 0: nothing changes
            }
            double updated;
            if (prev == 0 || sample > current) {
                updated = sample;
            } else {
                double w = registry.decay((int) Math.min(elapsed, Integer.MAX_VALUE));
                updated = current * w + sample * (1 - w);
            }
            next = (long) (Float.floatToRawIntBits((float) Math.max(updated, 1.0)) >>> ESTIMATE_DROPPED_BITS)
                    << SAMPLE_TIME_BITS | nowMillis;
        } while (!EWMA.compareAndSet(this, prev, next));
    }

    /** The estimate in an EWMA word: its float's bits, the dropped low mantissa bits as zeros. */
    private static float estimate(long word) {
        return Float.intBitsToFloat((int) (word >>> SAMPLE_TIME_BITS) << ESTIMATE_DROPPED_BITS);
    }

    /**
     * Milliseconds from {@code earlier} to {@code later}, two sample times as {@link #latencySampleMillis}
     * gives them (modulo 2^40): negative when {@code later} is before, exact within 17 years either way.
     */
    public static long millisBetween(long earlier, long later) {
        return (later - earlier) << (64 - SAMPLE_TIME_BITS) >> (64 - SAMPLE_TIME_BITS);
    }

    /**
     * The latency estimate in nanoseconds, decayed towards zero for the time since the last sample so
     * that an endpoint that stopped getting traffic is tried again. Zero when there is no sample yet.
     */
    public double latencyEwmaNanos(long nowNanos) {
        return latencyEwmaNanosAt((nowNanos / 1_000_000) & SAMPLE_TIME_MASK);
    }

    /** True once a latency sample was observed. */
    public boolean hasLatencySample() {
        return ewma != 0;
    }

    /**
     * When the last latency sample was taken, in ticker milliseconds modulo 2^40 (compare two with
     * {@link #millisBetween}); meaningful only when {@link #hasLatencySample()}.
     */
    public long latencySampleMillis() {
        return ewma & SAMPLE_TIME_MASK;
    }

    /**
     * The latency estimate decayed to {@code millis} (ticker milliseconds modulo 2^40, as
     * {@link #latencySampleMillis()}), not decayed when that is not after the last sample. Every
     * estimate decays at the same rate, so two endpoints compared at the later of their sample times
     * compare as they would now: a balancer can rank them without reading the clock.
     */
    public double latencyEwmaNanosAt(long millis) {
        long bits = ewma;
        if (bits == 0) {
            return 0;
        }
        float value = estimate(bits);
        long elapsedMillis = millisBetween(bits & SAMPLE_TIME_MASK, millis);
        if (elapsedMillis <= 0) {
            return value;
        }
        return value * registry.decay((int) Math.min(elapsedMillis, Integer.MAX_VALUE));
    }

    // ---- eligibility (written by the control path) ----

    public Health health() {
        return health;
    }

    public void setHealth(Health newHealth) {
        this.health = Objects.requireNonNull(newHealth, "health");
    }

    /** Ejected by outlier detection until {@code untilNanos} (ticker time). */
    public void eject(long untilNanos) {
        this.ejectedUntilNanos = untilNanos;
        this.ejected = true;
    }

    /** Ends an ejection early or after it expired. */
    public void unEject() {
        this.ejected = false;
        this.ejectedUntilNanos = Long.MIN_VALUE;
    }

    public boolean isEjected(long nowNanos) {
        return ejected && nowNanos - ejectedUntilNanos < 0;
    }

    public long ejectedUntilNanos() {
        return ejectedUntilNanos;
    }

    public boolean isDraining() {
        return draining;
    }

    /** Draining: no new requests, in-flight ones finish. */
    public void setDraining(boolean draining) {
        this.draining = draining;
    }

    /** Healthy, not ejected and not draining. */
    public boolean isEligible(long nowNanos) {
        return health == Health.HEALTHY && !draining && !isEjected(nowNanos);
    }

    /** When the endpoint joined or last recovered: the origin of its slow-start ramp. */
    public long eligibleSinceNanos() {
        return eligibleSinceNanos;
    }

    /** True for the first members of an upstream, which start at full weight. */
    public boolean rampExempt() {
        return rampExempt;
    }

    /** Starts a slow-start ramp at {@code nowNanos} (the endpoint joined or recovered). Control path. */
    public void startRamp(long nowNanos) {
        this.eligibleSinceNanos = nowNanos;
        this.rampExempt = false;
    }

    /**
     * Takes over {@code predecessor}'s slow-start ramp: where it started, or its full weight if it had
     * none. For the state that stands for the same endpoint in a balancer built anew (its owner rebuilt
     * by a reload), on the same ticker. Control path.
     */
    public void takeRamp(EndpointState predecessor) {
        this.eligibleSinceNanos = predecessor.eligibleSinceNanos;
        this.rampExempt = predecessor.rampExempt;
    }

    // ---- outcome counters ----

    /**
     * Counts a finished request (a try); {@code failed} for one that ended in an error: what outlier
     * detection counts, and a timed-out try it does not hold against the endpoint.
     */
    public void recordOutcome(boolean failed) {
        requests.increment();
        if (failed) {
            failures.increment();
        }
    }

    public long requests() {
        return requests.sum();
    }

    public long failures() {
        return failures.sum();
    }

    @Override
    public String toString() {
        return "EndpointState[" + address + ", active=" + active() + ", " + health
                + (draining ? ", draining" : "") + (ejected ? ", ejected" : "") + "]";
    }
}
