package dev.ballast.proxy.loop;

import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.util.concurrent.ThreadAwareExecutor;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * An event loop's I/O handler that, after handling I/O, lets any thread waiting for the loop's core
 * run first ({@link Thread#yield()}, {@code sched_yield}) when a slice ({@code event_loop_slice})
 * has passed since it last did and the loop was on the CPU for at least a quarter of it, then goes on.
 *
 * <p>Why: under load an event loop always finds sockets ready, so it never sleeps, and the kernel
 * takes the core from it only at a scheduler tick (4 ms at 250 Hz). When two loops share a core for
 * a while, as they do on a small or busy machine, each one's connections wait a whole tick while the
 * other runs: on the 2-core benchmark host that set the 99th percentile at 4.5 ms, against 2 ms with
 * one loop. Yielding every 500 µs of work bounds that wait by the slice instead of the tick, at the
 * cost of one system call per slice, which returns at once when no one is waiting. Measured in
 * docs/benchmarks.md.
 *
 * <p>A loop that mostly slept since its last check (light load: it wakes for a request now and then)
 * does not yield: it has held no one up, and a yield on waking would put its request behind whatever
 * else runs on that core. Telling the two apart takes the thread's CPU time, read once a slice and
 * compared with the time that passed since the last reading: a quarter of it or more on the CPU, and
 * the loop yields.
 */
final class SlicedIoHandler extends ForwardingIoHandler {

    private final long sliceNanos;
    private final Runnable yielder;
    private final LongSupplier clock;
    private final LongSupplier cpuClock;
    private long sliceStart;
    private long cpuAtSliceStart;

    /**
     * @param yielder  gives the core away ({@code Thread::yield})
     * @param clock    wall-clock nanoseconds
     * @param cpuClock nanoseconds of CPU time the loop's thread has used; read on that thread only
     */
    SlicedIoHandler(IoHandler delegate, long sliceNanos, Runnable yielder, LongSupplier clock, LongSupplier cpuClock) {
        super(delegate);
        this.sliceNanos = sliceNanos;
        this.yielder = yielder;
        this.clock = clock;
        this.cpuClock = cpuClock;
        this.sliceStart = clock.getAsLong();
        this.cpuAtSliceStart = Long.MIN_VALUE; // set by the loop's thread at its first check
    }

    /** {@code factory}'s handlers, yielding every {@code sliceMicros} of work; unchanged for 0. */
    static IoHandlerFactory factory(IoHandlerFactory factory, long sliceMicros) {
        if (sliceMicros == 0) {
            return factory;
        }
        long sliceNanos = TimeUnit.MICROSECONDS.toNanos(sliceMicros);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        // Without thread CPU time (unsupported, or turned off): as if the loop were always on the CPU.
        LongSupplier cpuClock = threads.isCurrentThreadCpuTimeSupported() && threads.isThreadCpuTimeEnabled()
                ? threads::getCurrentThreadCpuTime : System::nanoTime;
        return new IoHandlerFactory() {
            @Override
            public IoHandler newHandler(ThreadAwareExecutor executor) {
                return new SlicedIoHandler(factory.newHandler(executor), sliceNanos, Thread::yield, System::nanoTime,
                        cpuClock);
            }

            @Override
            public boolean isChangingThreadSupported() {
                return factory.isChangingThreadSupported();
            }
        };
    }

    @Override
    public int run(IoHandlerContext context) {
        int handled = super.run(context);
        long elapsed = handled > 0 ? clock.getAsLong() - sliceStart : 0;
        if (elapsed >= sliceNanos) {
            long cpu = cpuClock.getAsLong();
            // On the CPU a quarter of the time since the last check, however long that was: a loop that
            // slept 10 ms and then worked 200 µs has held no one up.
            if (cpuAtSliceStart != Long.MIN_VALUE && cpu - cpuAtSliceStart >= elapsed / 4) {
                yielder.run();
            }
            sliceStart = clock.getAsLong();
            cpuAtSliceStart = cpu;
        }
        return handled;
    }
}
