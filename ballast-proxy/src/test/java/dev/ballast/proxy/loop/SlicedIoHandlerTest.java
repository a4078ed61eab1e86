package dev.ballast.proxy.loop;

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
    private final AtomicLong cpu = new AtomicLong(5_000);
    private final AtomicInteger yields = new AtomicInteger();
    private final Passes passes = new Passes();
    private final SlicedIoHandler handler =
            new SlicedIoHandler(passes, SLICE, yields::incrementAndGet, clock::get, cpu::get);

    /** A pass that took {@code wallMicros}, of which the loop's thread was on the CPU for {@code cpuMicros}. */
    private int pass(long wallMicros, long cpuMicros) {
        clock.addAndGet(TimeUnit.MICROSECONDS.toNanos(wallMicros));
        cpu.addAndGet(TimeUnit.MICROSECONDS.toNanos(cpuMicros));
        return handler.run(null);
    }

    @Test
    void aBusyLoopYieldsOncePerSlice() {
        passes.handled = 3;
        for (int i = 0; i < 15; i++) { // 1.5 ms on the CPU: the first slice sets the loop's CPU clock, two more follow
            assertThat(pass(100, 100)).as("what the transport handled").isEqualTo(3);
        }
        assertThat(yields).hasValue(2);
        assertThat(passes.runs).isEqualTo(15);
    }

    @Test
    void aLoopSharingItsCoreYieldsButOneThatMostlySleptDoesNot() {
        passes.handled = 1;
        for (int i = 0; i < 20; i++) {
            pass(100, 10); // light load: awake a tenth of the time
        }
        assertThat(yields).as("asleep most of each slice").hasValue(0);
        for (int i = 0; i < 10; i++) {
            pass(100, 50); // runnable throughout, on the CPU half the time: another thread shares the core
        }
        assertThat(yields).hasValue(2);
    }

    @Test
    void aLoopThatWakesNowAndThenDoesNotYieldOnWaking() {
        passes.handled = 1;
        for (int i = 0; i < 100; i++) {
            pass(10_000, 200); // asleep 10 ms, then 200 µs of work: far more than a quarter slice of CPU
        }
        assertThat(yields).hasValue(0);
    }

    @Test
    void aPassThatHandledNothingNeverYields() {
        passes.handled = 1;
        pass(500, 500); // the first check: sets the CPU clock
        passes.handled = 0;
        pass(5_000, 5_000);
        assertThat(yields).hasValue(0);

        passes.handled = 1;
        pass(1, 1);
        assertThat(yields).as("the next pass with I/O, a slice later").hasValue(1);
        pass(1, 1);
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
