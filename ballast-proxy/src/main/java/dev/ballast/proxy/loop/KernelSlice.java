package dev.ballast.proxy.loop;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The time slice each event loop asks Linux's scheduler for ({@code event_loop_kernel_slice}).
 *
 * <p>Why: since Linux 6.6 the fair scheduler is EEVDF, which runs first the waiting thread whose
 * deadline, its slice away, is earliest; from 6.12 a thread may ask for a slice of its own
 * ({@code sched_setattr} with a {@code sched_runtime} of 100 µs to 100 ms, no privilege needed), and
 * a thread woken with a shorter slice than the running one's may take the core from it. An event
 * loop is the model case: it runs a short burst for each batch of ready sockets and then sleeps or
 * yields. With a short slice, a loop woken by a request runs sooner instead of waiting out a longer
 * slice of another thread on its core. The price: a busy loop's own slice ends sooner too, so the
 * scheduler may switch it out sooner. No thread's share of the CPU changes. Measured in
 * docs/benchmarks.md.
 *
 * <p>The call goes through the foreign function API, final in Java 22: on Java 21, on other systems,
 * or on older kernels the loops keep the kernel's default slice and {@link #request} says why.
 */
public final class KernelSlice {

    private static final long WAIT_SECONDS = 5;
    /** {@code SchedAttr.requestSlice(long)}, or null where it cannot run; see {@link #UNAVAILABLE}. */
    private static final MethodHandle REQUEST;
    /** Why there is no {@link #REQUEST}. */
    private static final String UNAVAILABLE;

    static {
        MethodHandle request = null;
        String unavailable = null;
        if (!System.getProperty("os.name", "").startsWith("Linux")) {
            unavailable = "only Linux keeps a slice per thread";
        } else if (Runtime.version().feature() < 22) {
            unavailable = "needs Java 22 or later (this is Java " + Runtime.version().feature() + ")";
        } else {
            try {
                // Not initialised here: linking the native call is SchedAttr's first use, on a loop.
                Class<?> calls = Class.forName(KernelSlice.class.getPackageName() + ".SchedAttr", false,
                        KernelSlice.class.getClassLoader());
                request = MethodHandles.lookup().findStatic(calls, "requestSlice",
                        MethodType.methodType(String.class, long.class));
            } catch (ClassNotFoundException e) {
                unavailable = "this build has no scheduler calls (it was built with Java 21)";
            } catch (ReflectiveOperationException | LinkageError e) {
                unavailable = "the scheduler calls cannot be loaded: " + e;
            }
        }
        REQUEST = request;
        UNAVAILABLE = unavailable;
    }

    private KernelSlice() {
    }

    /**
     * Asks for a slice of {@code micros} on the calling thread.
     *
     * @return null when the kernel keeps it for the thread, otherwise why not
     */
    static String requestForCurrentThread(long micros) {
        if (REQUEST == null) {
            return UNAVAILABLE;
        }
        try {
            return (String) REQUEST.invokeExact(TimeUnit.MICROSECONDS.toNanos(micros));
        } catch (ExceptionInInitializerError e) { // the first loop to link: native access denied, or no symbol
            return "the scheduler calls cannot be linked: " + e.getCause();
        } catch (LinkageError e) { // the loops after it: the class stays unusable
            return "the scheduler calls cannot be linked: " + e;
        } catch (Throwable e) {
            return "sched_setattr failed: " + e;
        }
    }

    /**
     * Asks for a slice of {@code micros} on every event loop of {@code group}, each on its own thread
     * (which this starts), and waits for them.
     *
     * @param micros 0 for none: the loops keep the kernel's default
     * @return what came of it, for the start-up line and {@code GET /status}: {@code "100us"} when
     *         every loop has it, {@code "off"} for 0, otherwise {@code "not in force"} and why
     */
    public static String request(EventLoopGroup group, long micros) {
        if (micros == 0) {
            return "off";
        }
        List<Future<String>> outcomes = new ArrayList<>();
        for (EventExecutor loop : group) {
            outcomes.add(loop.submit(() -> requestForCurrentThread(micros)));
        }
        Set<String> refusals = new LinkedHashSet<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS); // one wait for all loops
        for (Future<String> outcome : outcomes) {
            if (!outcome.awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                refusals.add("an event loop did not answer within " + WAIT_SECONDS + "s");
            } else if (!outcome.isSuccess()) {
                refusals.add(outcome.cause().toString());
            } else if (outcome.getNow() != null) {
                refusals.add(outcome.getNow());
            }
        }
        return refusals.isEmpty() ? micros + "us" : "not in force: " + String.join("; ", refusals);
    }
}
