package dev.ballast.proxy.loop;

import dev.ballast.proxy.testing.KernelSlices;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Real event loops asking the real kernel; what they got is read back from {@code /proc}. */
class KernelSliceTest {

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());

    @AfterEach
    void stop() throws InterruptedException {
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }

    @Test
    void everyEventLoopRunsWithTheSliceItAskedFor() throws Exception {
        assumeTrue(KernelSlices.available(), "needs Linux 6.12+ and Java 22+");

        assertThat(KernelSlice.request(group, 300)).isEqualTo("300us");

        assertThat(slicesOfLoops()).containsExactly(300_000L, 300_000L);
    }

    @Test
    void threadsALoopStartsDoNotInheritItsSlice() throws Exception {
        assumeTrue(KernelSlices.available(), "needs Linux 6.12+ and Java 22+");
        KernelSlice.request(group, 300);

        CompletableFuture<Long> started = new CompletableFuture<>();
        group.next().submit(() -> Thread.ofPlatform().start(() -> started.complete(KernelSlices.ofCurrentThread())))
                .get(5, TimeUnit.SECONDS);

        assertThat(started.get(5, TimeUnit.SECONDS)).as("the kernel's default, as this thread has")
                .isEqualTo(KernelSlices.ofCurrentThread());
    }

    @Test
    void theThreadThatAsksKeepsItsOwnSlice() {
        assumeTrue(KernelSlices.readable(), "needs se.slice in /proc");
        long before = KernelSlices.ofCurrentThread();

        KernelSlice.request(group, 300);

        assertThat(KernelSlices.ofCurrentThread()).isEqualTo(before);
    }

    @Test
    void zeroLeavesTheLoopsOnTheKernelDefault() throws Exception {
        assumeTrue(KernelSlices.readable(), "needs se.slice in /proc");
        assertThat(KernelSlice.request(group, 0)).isEqualTo("off");

        // A new thread starts with its creator's slice: the test thread's, never asked to change.
        long inherited = KernelSlices.ofCurrentThread();
        assertThat(slicesOfLoops()).containsExactly(inherited, inherited);
    }

    @Test
    void aSliceShorterThanTheKernelTakesIsRaisedToItsShortest() throws Exception {
        assumeTrue(KernelSlices.available(), "needs Linux 6.12+ and Java 22+");

        assertThat(KernelSlice.request(group, 20)).as("what the kernel keeps differs from the request")
                .isEqualTo("not in force: the kernel keeps a slice of 100us instead");

        assertThat(slicesOfLoops()).containsExactly(100_000L, 100_000L);
    }

    private List<Long> slicesOfLoops() throws Exception {
        List<Long> slices = new ArrayList<>();
        for (EventExecutor loop : group) {
            slices.add(loop.submit(KernelSlices::ofCurrentThread).get(5, TimeUnit.SECONDS));
        }
        return slices;
    }
}
