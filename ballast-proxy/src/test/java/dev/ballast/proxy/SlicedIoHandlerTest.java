package dev.ballast.proxy;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoRegistration;
import io.netty.channel.nio.NioIoHandler;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class SlicedIoHandlerTest {

    private static final long SLICE = TimeUnit.MICROSECONDS.toNanos(500);

    private final AtomicLong clock = new AtomicLong(1_000_000);
    private final AtomicInteger yields = new AtomicInteger();
    private final Passes passes = new Passes();
    private final SlicedIoHandler handler = new SlicedIoHandler(passes, SLICE, yields::incrementAndGet, clock::get);

    @Test
    void yieldsOncePerSliceOfPassesThatHandledIo() {
        passes.handled = 3;
        for (int i = 0; i < 10; i++) { // 10 passes of 100 us: two slices
            clock.addAndGet(TimeUnit.MICROSECONDS.toNanos(100));
            assertThat(handler.run(null)).as("what the transport handled").isEqualTo(3);
        }
        assertThat(yields).hasValue(2);
        assertThat(passes.runs).isEqualTo(10);
    }

    @Test
    void aPassThatHandledNothingNeverYields() {
        passes.handled = 0;
        clock.addAndGet(SLICE * 10);
        handler.run(null);
        assertThat(yields).hasValue(0);

        passes.handled = 1;
        handler.run(null);
        assertThat(yields).as("the next pass with I/O, a slice later").hasValue(1);
        handler.run(null);
        assertThat(yields).as("not again within the new slice").hasValue(1);
    }

    @Test
    void aZeroSliceLeavesTheTransportsHandlersAsTheyAre() {
        IoHandlerFactory nio = NioIoHandler.newFactory();
        assertThat(SlicedIoHandler.factory(nio, 0)).isSameAs(nio);
        assertThat(SlicedIoHandler.factory(nio, 500)).isNotSameAs(nio);
    }

    /** A transport's handler that reports a set number of handled events per pass. */
    private static final class Passes implements IoHandler {

        int handled;
        int runs;

        @Override
        public int run(IoHandlerContext context) {
            runs++;
            return handled;
        }

        @Override
        public IoRegistration register(IoHandle handle) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void wakeup() {
        }

        @Override
        public boolean isCompatible(Class<? extends IoHandle> handleType) {
            return false;
        }
    }
}
