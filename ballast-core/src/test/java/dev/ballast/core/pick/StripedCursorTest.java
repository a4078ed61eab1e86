package dev.ballast.core.pick;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.function.IntFunction;
import java.util.function.IntSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The per-thread turns of {@link StripedCursor}: each thread on a stripe of its own goes through every
 * position in turn, and stripes start far apart.
 */
class StripedCursorTest {

    private static final int PERIOD = 7;
    private static final int CYCLES = 2_000;

    @Test
    void oneThreadWalksThePeriodInTurn() {
        StripedCursor cursor = new StripedCursor(PERIOD, Rng.seeded(3));
        int previous = cursor.nextRelaxed();
        for (int k = 0; k < 3 * PERIOD; k++) {
            int at = cursor.nextRelaxed();
            assertThat(at).isEqualTo((previous + 1) % PERIOD);
            previous = at;
        }
    }

    @Test
    void eachThreadOnItsOwnStripeGoesInTurn() throws Exception {
        StripedCursor cursor = new StripedCursor(PERIOD, Rng.seeded(3));
        // With one shared cursor the threads' turns would interleave, and no thread would see them in order.
        List<int[]> sequences = runOn(threads(Math.min(4, StripedCursor.STRIPES)), CYCLES * PERIOD, cursor::nextRelaxed);

        for (int[] sequence : sequences) {
            for (int k = 1; k < sequence.length; k++) {
                assertThat(sequence[k]).isEqualTo((sequence[k - 1] + 1) % PERIOD);
            }
        }
    }

    @Test
    void stripesStartSpreadOverThePeriod() throws Exception {
        int period = 1_000;
        StripedCursor cursor = new StripedCursor(period, Rng.seeded(3));
        List<int[]> firsts = runOn(threads(Math.min(4, StripedCursor.STRIPES)), 1, cursor::nextRelaxed);

        Set<Integer> starts = new HashSet<>();
        for (int[] first : firsts) {
            starts.add(first[0]);
        }
        assertThat(starts).hasSize(firsts.size());
        for (int a : starts) {
            for (int b : starts) {
                int gap = Math.floorMod(a - b, period);
                assertThat(a == b || Math.min(gap, period - gap) >= period / StripedCursor.STRIPES - 1).isTrue();
            }
        }
    }

    /**
     * {@code count} unstarted threads on distinct stripes. The threads only hold a slot to run in:
     * {@link #runOn} gives each its work.
     */
    private static List<Slot> threads(int count) {
        Map<Integer, Slot> byStripe = new HashMap<>();
        List<Slot> chosen = new ArrayList<>();
        while (chosen.size() < count) {
            Slot slot = new Slot();
            int stripe = StripedCursor.stripeOf(slot.thread);
            if (byStripe.putIfAbsent(stripe, slot) == null) {
                chosen.add(slot);
            }
        }
        return chosen;
    }

    /** Runs {@code picks} calls of {@code next} on each slot's thread at once; each thread's results in order. */
    private static List<int[]> runOn(List<Slot> slots, int picks, IntSupplier next) throws Exception {
        CyclicBarrier start = new CyclicBarrier(slots.size());
        IntFunction<int[]> work = ignored -> {
            int[] sequence = new int[picks];
            try {
                start.await();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            for (int k = 0; k < picks; k++) {
                sequence[k] = next.getAsInt();
            }
            return sequence;
        };
        for (Slot slot : slots) {
            slot.work = work;
            slot.thread.start();
        }
        List<int[]> results = new ArrayList<>();
        for (Slot slot : slots) {
            slot.thread.join();
            assertThat(slot.result).as("thread result").isNotNull();
            results.add(slot.result);
        }
        return results;
    }

    private static final class Slot {
        final Thread thread = new Thread(this::run);
        volatile IntFunction<int[]> work;
        volatile int[] result;

        private void run() {
            result = work.apply(0);
        }
    }
}
