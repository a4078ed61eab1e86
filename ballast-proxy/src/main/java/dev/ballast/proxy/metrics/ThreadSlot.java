package dev.ballast.proxy.metrics;

import io.netty.util.concurrent.FastThreadLocal;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small number per recording thread, for indexing per-thread stripes: on an event loop (a Netty
 * {@code FastThreadLocalThread}) reading it is an array load. Numbers are not reused, so they grow
 * with the threads that ever recorded; a proxy records on its event loops only.
 */
final class ThreadSlot {

    private static final AtomicInteger NEXT = new AtomicInteger();
    private static final FastThreadLocal<Integer> SLOT = new FastThreadLocal<>() {
        @Override
        protected Integer initialValue() {
            return NEXT.getAndIncrement();
        }
    };

    private ThreadSlot() {
    }

    static int current() {
        return SLOT.get();
    }
}
