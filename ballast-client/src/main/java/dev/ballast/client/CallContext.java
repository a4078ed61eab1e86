package dev.ballast.client;

import dev.ballast.core.config.WholeNumbers;
import dev.ballast.core.time.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The scope a call runs in: its deadline, its trace position and its cancellation. Passed
 * explicitly, as Go passes {@code context.Context}: a request made while serving another names the
 * inbound context ({@link ClientRequest#context}) and so inherits its remaining deadline, its trace,
 * and its cancellation. Contexts form a tree; cancelling one cancels every context below it.
 *
 * <p>Explicit rather than implicit: {@code ScopedValue} is not final in Java 21, and a thread-local
 * would not follow work handed to another thread (async calls, fan-out, hedges).
 *
 * <p>Thread-safe. A child must be {@linkplain #close() closed} when its work is done, so a
 * long-lived parent does not keep it; the client does this for the contexts it makes per call.
 */
public final class CallContext implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CallContext.class);

    /**
     * Carries how long the callee has, in milliseconds (as gRPC's {@code grpc-timeout}): the time the
     * try may take, the sooner of its own timeout and the call's deadline.
     */
    public static final String TIMEOUT_HEADER = "x-ballast-timeout-ms";

    private static final CallContext BACKGROUND = new CallContext(null, Ticker.system(), false, 0, null, false);

    private final CallContext parent;
    private final Ticker ticker;
    private final boolean hasDeadline;
    private final long deadlineNanos;
    private final TraceContext trace;
    private final boolean cancellable;
    /**
     * The hooks to run on cancellation, copied on write (a context has a handful: its attempts'
     * exchanges and its children); {@link #CANCELLED} once cancelled. Lighter than a concurrent set
     * for the one or two hooks of a typical call.
     */
    private final AtomicReference<Runnable[]> hooks;
    private final Runnable cancelFromParent;

    private static final Runnable[] NO_HOOKS = new Runnable[0];
    private static final Runnable[] CANCELLED = new Runnable[0];

    private CallContext(CallContext parent, Ticker ticker, boolean hasDeadline, long deadlineNanos,
            TraceContext trace, boolean cancellable) {
        this.parent = parent;
        this.ticker = ticker;
        this.hasDeadline = hasDeadline;
        this.deadlineNanos = deadlineNanos;
        this.trace = trace;
        this.cancellable = cancellable;
        this.hooks = cancellable ? new AtomicReference<>(NO_HOOKS) : null;
        this.cancelFromParent = this::cancel;
    }

    /** The empty root: no deadline, no trace, never cancelled. Calls without a context run below it. */
    public static CallContext background() {
        return BACKGROUND;
    }

    /** A new cancellable root without deadline or trace, on {@code ticker}'s clock (tests inject one). */
    public static CallContext root(Ticker ticker) {
        return new CallContext(null, Objects.requireNonNull(ticker, "ticker"), false, 0, null, true);
    }

    /**
     * The context of an inbound request, rebuilt from its headers: the caller's trace
     * ({@code traceparent}, {@code tracestate}) and remaining deadline ({@value #TIMEOUT_HEADER}).
     * Malformed values are ignored: a bad header must not fail the request that carries it.
     *
     * @param header looks a header up by lowercase name, returning null when absent
     */
    public static CallContext fromHeaders(Function<String, String> header) {
        TraceContext trace = TraceContext.parse(header.apply(TraceContext.TRACEPARENT),
                header.apply(TraceContext.TRACESTATE)).orElse(null);
        CallContext context = new CallContext(null, Ticker.system(), false, 0, trace, true);
        String timeout = header.apply(TIMEOUT_HEADER);
        // -1, treated as absent, for anything but ASCII digits a long holds (not Long.parseLong: ٥٠٠ is no 500)
        long millis = timeout == null ? -1 : WholeNumbers.parse(timeout.strip());
        return millis < 0 ? context : context.derive(saturatedNanos(Duration.ofMillis(millis)), trace);
    }

    /** A child: same deadline and trace, cancelled when this is. */
    public CallContext child() {
        return derive(NO_TIMEOUT, trace);
    }

    /** A child whose deadline is {@code timeout} from now, or this context's deadline if that is sooner. */
    public CallContext withTimeout(Duration timeout) {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout: " + timeout + " (expected: >= 0)");
        }
        return derive(saturatedNanos(timeout), trace);
    }

    /** A child that makes its calls as part of {@code newTrace}. */
    public CallContext withTrace(TraceContext newTrace) {
        return derive(NO_TIMEOUT, Objects.requireNonNull(newTrace, "newTrace"));
    }

    private CallContext derive(long timeoutNanos, TraceContext childTrace) {
        long now = ticker.nanos();
        boolean childHasDeadline = hasDeadline;
        long childDeadline = deadlineNanos;
        if (timeoutNanos < NO_TIMEOUT) {
            long candidate = now + timeoutNanos;
            if (!hasDeadline || candidate - deadlineNanos < 0) {
                childDeadline = candidate;
                childHasDeadline = true;
            }
        }
        CallContext child = new CallContext(this, ticker, childHasDeadline, childDeadline, childTrace, true);
        if (cancellable) {
            onCancel(child.cancelFromParent);
        }
        return child;
    }

    /** The trace this context's calls belong to; empty when they start new traces. */
    public Optional<TraceContext> trace() {
        return Optional.ofNullable(trace);
    }

    /** Time left until the deadline (zero once passed); empty when there is no deadline. */
    public Optional<Duration> remaining() {
        return hasDeadline ? Optional.of(Duration.ofNanos(remainingNanos())) : Optional.empty();
    }

    /** Nanoseconds left, at least 0; {@link Long#MAX_VALUE} without a deadline. */
    public long remainingNanos() {
        return hasDeadline ? Math.max(0, deadlineNanos - ticker.nanos()) : Long.MAX_VALUE;
    }

    public boolean hasDeadline() {
        return hasDeadline;
    }

    public boolean isExpired() {
        return hasDeadline && deadlineNanos - ticker.nanos() <= 0;
    }

    public boolean isCancelled() {
        return cancellable && hooks.get() == CANCELLED;
    }

    /** The clock the deadline is measured on. */
    public Ticker ticker() {
        return ticker;
    }

    /**
     * Cancels this context and every context below it: calls in flight in them stop and fail with
     * {@link CallException.Kind#CANCELLED}. Idempotent.
     *
     * @throws IllegalStateException on {@link #background()}, which belongs to everyone
     * @throws RuntimeException       the first a cancel hook threw, once every hook has run (others
     *                               suppressed; an Error is rethrown as it is, a checked exception wrapped)
     */
    public void cancel() {
        if (!cancellable) {
            throw new IllegalStateException("the background context cannot be cancelled (use child() for a cancellable one)");
        }
        Runnable[] toRun = hooks.getAndSet(CANCELLED);
        if (toRun == CANCELLED) {
            return;
        }
        if (parent != null && parent.cancellable) {
            parent.remove(cancelFromParent);
        }
        // Every hook runs though one throws: a hook left out would leave its call, or a whole
        // subtree of contexts, running on to its timeout.
        Throwable first = null;
        for (Runnable hook : toRun) {
            try {
                hook.run();
            } catch (Throwable e) { // an Error too, or a checked exception thrown undeclared
                if (first == null) {
                    first = e;
                } else if (e != first) {
                    first.addSuppressed(e);
                }
            }
        }
        switch (first) {
            case null -> { }
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            default -> throw new IllegalStateException("a cancel hook failed: " + first, first);
        }
    }

    /**
     * Ends this scope: cancels whatever still runs in it and lets the parent forget it. Unlike {@link
     * #cancel}, it does not throw what a hook threw, but logs it: it is what ends a call, on success too,
     * and a careless hook must not turn the response into its exception.
     */
    @Override
    public void close() {
        if (!cancellable) {
            return;
        }
        try {
            cancel();
        } catch (RuntimeException | Error e) {
            log.warn("a cancel hook failed as its scope ended", e);
        }
    }

    /**
     * Runs {@code hook} once when this context is cancelled (at once if it already is), until the
     * returned registration is closed. For transports and interceptors that start work the context
     * must be able to stop.
     */
    public Registration onCancel(Runnable hook) {
        Objects.requireNonNull(hook, "hook");
        if (!cancellable) {
            return Registration.NONE;
        }
        Runnable[] current;
        Runnable[] next;
        do {
            current = hooks.get();
            if (current == CANCELLED) {
                hook.run();
                return Registration.NONE;
            }
            next = Arrays.copyOf(current, current.length + 1);
            next[current.length] = hook;
        } while (!hooks.compareAndSet(current, next));
        return () -> remove(hook);
    }

    private void remove(Runnable hook) {
        Runnable[] current;
        Runnable[] next;
        do {
            current = hooks.get();
            int index = indexOf(current, hook);
            if (current == CANCELLED || index < 0) {
                return;
            }
            next = current.length == 1 ? NO_HOOKS : new Runnable[current.length - 1];
            System.arraycopy(current, 0, next, 0, index);
            System.arraycopy(current, index + 1, next, index, current.length - index - 1);
        } while (!hooks.compareAndSet(current, next));
    }

    private static int indexOf(Runnable[] array, Runnable hook) {
        for (int i = array.length - 1; i >= 0; i--) { // the latest hook is the likeliest to leave first
            if (array[i] == hook) {
                return i;
            }
        }
        return -1;
    }

    /** A hook registered with {@link #onCancel}; closing it unregisters the hook. */
    @FunctionalInterface
    public interface Registration extends AutoCloseable {

        Registration NONE = () -> { };

        @Override
        void close();
    }

    /** Timeouts this long (73 years) mean none, which also keeps deadline arithmetic from overflowing. */
    static final long NO_TIMEOUT = Long.MAX_VALUE / 4;

    /** {@code duration} in nanoseconds, or {@link #NO_TIMEOUT} from there on (where toNanos would overflow, too). */
    static long saturatedNanos(Duration duration) {
        return duration.compareTo(Duration.ofNanos(NO_TIMEOUT)) >= 0 ? NO_TIMEOUT : duration.toNanos();
    }

    @Override
    public String toString() {
        return "CallContext[" + (hasDeadline ? "remaining=" + Duration.ofNanos(remainingNanos()) : "no deadline")
                + (trace != null ? ", " + trace : "") + (isCancelled() ? ", cancelled" : "") + "]";
    }
}
