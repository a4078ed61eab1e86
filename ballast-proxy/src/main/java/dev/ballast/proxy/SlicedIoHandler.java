package dev.ballast.proxy;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoRegistration;
import io.netty.util.concurrent.ThreadAwareExecutor;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * An event loop's I/O handler that, after handling I/O, lets any thread waiting for the loop's core
 * run first ({@link Thread#yield()}, {@code sched_yield}) when a slice ({@code event_loop_slice})
 * has passed since it last did, then goes on.
 *
 * <p>Why: under load an event loop always finds sockets ready, so it never sleeps, and the kernel
 * takes the core from it only at a scheduler tick (4 ms at 250 Hz). When two loops share a core for
 * a while, as they do on a small or busy machine, each one's connections wait a whole tick while the
 * other runs: on the 2-core benchmark host that set the 99th percentile at 4.5 ms, against 2 ms with
 * one loop. Yielding every 500 µs of work bounds that wait by the slice instead of the tick, at the
 * cost of one system call per slice, which returns at once when no one is waiting. Measured in
 * docs/benchmarks.md.
 */
final class SlicedIoHandler implements IoHandler {

    private final IoHandler delegate;
    private final long sliceNanos;
    private final Runnable yielder;
    private final LongSupplier clock;
    private long sliceStart;

    SlicedIoHandler(IoHandler delegate, long sliceNanos, Runnable yielder, LongSupplier clock) {
        this.delegate = delegate;
        this.sliceNanos = sliceNanos;
        this.yielder = yielder;
        this.clock = clock;
        this.sliceStart = clock.getAsLong();
    }

    /** {@code factory}'s handlers, yielding every {@code sliceMicros} of work; unchanged for 0. */
    static IoHandlerFactory factory(IoHandlerFactory factory, long sliceMicros) {
        if (sliceMicros == 0) {
            return factory;
        }
        long sliceNanos = TimeUnit.MICROSECONDS.toNanos(sliceMicros);
        return new IoHandlerFactory() {
            @Override
            public IoHandler newHandler(ThreadAwareExecutor executor) {
                return new SlicedIoHandler(factory.newHandler(executor), sliceNanos, Thread::yield, System::nanoTime);
            }

            @Override
            public boolean isChangingThreadSupported() {
                return factory.isChangingThreadSupported();
            }
        };
    }

    @Override
    public int run(IoHandlerContext context) {
        int handled = delegate.run(context);
        if (handled > 0) {
            if (clock.getAsLong() - sliceStart >= sliceNanos) {
                yielder.run();
                sliceStart = clock.getAsLong();
            }
        }
        return handled;
    }

    @Override
    public void initialize() {
        delegate.initialize();
    }

    @Override
    public void prepareToDestroy() {
        delegate.prepareToDestroy();
    }

    @Override
    public void destroy() {
        delegate.destroy();
    }

    @Override
    public IoRegistration register(IoHandle handle) throws Exception {
        return delegate.register(handle);
    }

    @Override
    public void wakeup() {
        delegate.wakeup();
    }

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
        return delegate.isCompatible(handleType);
    }
}
