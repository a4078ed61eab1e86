package dev.ballast.core.pick;

import dev.ballast.core.internal.Stripes;
import dev.ballast.core.time.Ticker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The round-robin balancers' shared turn: values one at a time and in order across threads that pick
 * at a proxy's rates; blocks of {@value BatchedTurn#BLOCK} for a stripe that picks nonstop, shared by
 * its threads and handed out to the end; single values again once it slows down; and every value to
 * one pick only, none skipped, whatever the threads do. The clock here moves a set step at every
 * read, so whether a stripe is busy is exact.
 */
class BatchedTurnTest {

    /** Two looks this far apart: not busy. */
    private static final long RARELY = 2 * BatchedTurn.BUSY_NANOS;
    /**
     * Two reads this far apart: busy. The turn reads the clock at each look and before each block, five
     * times between two looks of a stripe that picks alone.
     */
    private static final long OFTEN = BatchedTurn.BUSY_NANOS / 16;

    private final AtomicLong clock = new AtomicLong();
    private final AtomicLong step = new AtomicLong(RARELY);
    private final Ticker stepping = () -> clock.addAndGet(step.get());
    private final List<ExecutorService> stripes = new ArrayList<>();

    @AfterEach
    void stopThreads() throws Exception {
        for (ExecutorService stripe : stripes) {
            stripe.shutdownNow();
            assertThat(stripe.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void oneThreadGetsEveryValueInOrderBusyOrNot() {
        step.set(OFTEN);
        BatchedTurn turn = new BatchedTurn(Integer.MAX_VALUE - 1_000, stepping);
        int expected = Integer.MAX_VALUE - 1_000;
        for (int k = 0; k < 100_000; k++) {
            assertThat(turn.next()).isEqualTo(expected++); // and wraps past Integer.MAX_VALUE inside a block
        }
    }

    @Test
    void threadsThatPickRarelyTakeOneValueEachInOrder() throws Exception {
        BatchedTurn turn = new BatchedTurn(0, stepping);
        ExecutorService a = onStripe(1);
        ExecutorService b = onStripe(2);
        List<Integer> values = new ArrayList<>();
        for (int round = 0; round < 4 * BatchedTurn.CHECK_EVERY; round++) {
            values.add(on(a, turn::next));
            values.add(on(b, turn::next));
        }
        for (int k = 0; k < values.size(); k++) {
            assertThat(values.get(k)).isEqualTo(k);
        }
    }

    @Test
    void aBusyStripeTakesABlockThatOthersPickAround() throws Exception {
        step.set(OFTEN);
        BatchedTurn turn = new BatchedTurn(0, stepping);
        ExecutorService a = onStripe(1);
        ExecutorService b = onStripe(2);
        int first = firstBlockOn(a, turn);
        assertThat(first).as("the busy stripe's first block starts at its last pick")
                .isEqualTo(2 * BatchedTurn.CHECK_EVERY - 1);

        assertThat(on(b, turn::next)).as("after the block").isEqualTo(first + BatchedTurn.BLOCK);
        assertRestOfBlock(a, turn, first);
        assertThat(on(a, turn::next)).as("the next block").isEqualTo(first + BatchedTurn.BLOCK + 1);
        assertThat(on(b, turn::next)).as("after that block").isEqualTo(first + 2 * BatchedTurn.BLOCK + 1);
    }

    @Test
    void aStripeThatSlowsDownHandsOutTheRestOfItsBlockThenSingleValues() throws Exception {
        step.set(OFTEN);
        BatchedTurn turn = new BatchedTurn(0, stepping);
        ExecutorService a = onStripe(1);
        ExecutorService b = onStripe(2);
        int first = firstBlockOn(a, turn);
        step.set(RARELY);

        assertThat(on(b, turn::next)).isEqualTo(first + BatchedTurn.BLOCK);
        assertRestOfBlock(a, turn, first);
        // Its last look is over a millisecond old: no new block, one value at a time in order with the others'.
        assertThat(on(a, turn::next)).isEqualTo(first + BatchedTurn.BLOCK + 1);
        assertThat(on(b, turn::next)).isEqualTo(first + BatchedTurn.BLOCK + 2);
    }

    @Test
    void threadsOfOneStripeShareItsBlock() throws Exception {
        step.set(OFTEN);
        BatchedTurn turn = new BatchedTurn(0, stepping);
        ExecutorService a = onStripe(1);
        ExecutorService alsoA = onStripe(1);
        int first = firstBlockOn(a, turn);

        assertThat(on(alsoA, turn::next)).isEqualTo(first + 1);
        assertThat(on(a, turn::next)).isEqualTo(first + 2);
    }

    /**
     * Picks on {@code stripe} until a look finds it busy, on the {@link #OFTEN} clock: its first look
     * finds its first picks, the second one a moment later. The first value of the block it then took.
     */
    private static int firstBlockOn(ExecutorService stripe, BatchedTurn turn) throws Exception {
        int[] warm = picks(stripe, turn, 2 * BatchedTurn.CHECK_EVERY);
        return warm[warm.length - 1];
    }

    /** The next picks on {@code stripe} hand out the rest of its block that started at {@code first}, in order. */
    private static void assertRestOfBlock(ExecutorService stripe, BatchedTurn turn, int first) throws Exception {
        int[] rest = picks(stripe, turn, BatchedTurn.BLOCK - 1);
        for (int k = 0; k < rest.length; k++) {
            assertThat(rest[k]).isEqualTo(first + 1 + k);
        }
    }

    @Test
    void threadsPickingNonstopAtOnceNeverShareAValueAndSkipNoneButTheirBlocksRests() throws Exception {
        int threads = Math.min(4, Stripes.COUNT);
        BatchedTurn turn = new BatchedTurn(0, Ticker.system());
        int[] stripesOfThreads = new int[threads];
        Arrays.setAll(stripesOfThreads, s -> s);

        Set<Integer> seen = distinct(picksAtOnce(turn, stripesOfThreads, 200_000));

        int highest = seen.stream().mapToInt(Integer::intValue).max().orElseThrow();
        // Unused values: at most the rest of one block per stripe, still held by it.
        assertThat(highest + 1 - seen.size()).isLessThanOrEqualTo(threads * (BatchedTurn.BLOCK - 1));
    }

    @Test
    void threadsOfOneStripePickingNonstopAtOnceNeverShareAValueAndSkipNoneButItsBlocksRest() throws Exception {
        BatchedTurn turn = new BatchedTurn(0, Ticker.system());

        Set<Integer> seen = distinct(picksAtOnce(turn, new int[] {3, 3, 3}, 200_000));

        // One thread of the stripe takes a block at a time, and the others single values meanwhile: no block is dropped.
        int highest = seen.stream().mapToInt(Integer::intValue).max().orElseThrow();
        assertThat(highest + 1 - seen.size()).isLessThanOrEqualTo(BatchedTurn.BLOCK - 1);
    }

    /** Every value of every thread, which must all differ. */
    private static Set<Integer> distinct(List<int[]> byThread) {
        Set<Integer> seen = new HashSet<>();
        for (int[] values : byThread) {
            for (int value : values) {
                assertThat(seen.add(value)).as("value %d handed out twice", value).isTrue();
            }
        }
        return seen;
    }

    /** {@code picks} values on a thread per entry of {@code stripesOfThreads}, all starting at once. */
    private List<int[]> picksAtOnce(BatchedTurn turn, int[] stripesOfThreads, int picks) throws Exception {
        CyclicBarrier start = new CyclicBarrier(stripesOfThreads.length);
        List<Future<int[]>> futures = new ArrayList<>();
        for (int stripe : stripesOfThreads) {
            futures.add(onStripe(stripe).submit(() -> {
                start.await(10, TimeUnit.SECONDS);
                int[] values = new int[picks];
                for (int k = 0; k < picks; k++) {
                    values[k] = turn.next();
                }
                return values;
            }));
        }
        List<int[]> byThread = new ArrayList<>();
        for (Future<int[]> future : futures) {
            byThread.add(future.get(60, TimeUnit.SECONDS));
        }
        return byThread;
    }

    /** {@code count} values taken one after another on {@code stripe}'s thread. */
    private static int[] picks(ExecutorService stripe, BatchedTurn turn, int count) throws Exception {
        return on(stripe, () -> {
            int[] values = new int[count];
            for (int k = 0; k < count; k++) {
                values[k] = turn.next();
            }
            return values;
        });
    }

    private static <T> T on(ExecutorService stripe, Callable<T> work) throws Exception {
        return stripe.submit(work).get(10, TimeUnit.SECONDS);
    }

    /** A thread of its own on stripe {@code stripe}, stopped after the test. */
    private ExecutorService onStripe(int stripe) {
        ExecutorService executor = Executors.newSingleThreadExecutor(work -> {
            Thread thread;
            do {
                thread = new Thread(work, "stripe-" + stripe);
            } while (Stripes.of(thread) != stripe);
            thread.setDaemon(true);
            return thread;
        });
        stripes.add(executor);
        return executor;
    }
}
