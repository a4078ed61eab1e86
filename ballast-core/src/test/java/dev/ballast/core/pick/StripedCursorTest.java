package dev.ballast.core.pick;

import dev.ballast.core.time.Ticker;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.function.IntSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The per-thread turns of {@link StripedCursor}: a thread that picks alone, or rarely, goes through
 * every position in turn; stripes start far apart; busy stripes walk arcs of their own, sized by how
 * fast each picks, and an arc goes back to the others when its stripe stops. The busy cases run each
 * stripe's picks in turn on a clock that moves a millisecond at every look, so they are exact.
 */
class StripedCursorTest {

    private static final int PERIOD = 7;
    private static final int CYCLES = 2_000;

    @Test
    void oneThreadWalksThePeriodInTurn() {
        StripedCursor cursor = new StripedCursor(PERIOD, Rng.seeded(3), Ticker.system());
        int previous = cursor.nextRelaxed();
        for (int k = 0; k < 3 * PERIOD; k++) {
            int at = cursor.nextRelaxed();
            assertThat(at).isEqualTo((previous + 1) % PERIOD);
            previous = at;
        }
    }

    @Test
    void eachThreadThatPicksRarelyGoesThroughTheWholePeriodInTurn() throws Exception {
        // A second between two looks: no stripe is ever busy, so none takes an arc.
        AtomicLong clock = new AtomicLong();
        StripedCursor cursor = new StripedCursor(PERIOD, Rng.seeded(3), () -> clock.addAndGet(1_000_000_000L));
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
        StripedCursor cursor = new StripedCursor(period, Rng.seeded(3), Ticker.system());
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

    @Test
    void twoBusyStripesWalkHalvesOfTheirOwnEachInTurn() throws Exception {
        int period = 100;
        StripedCursor cursor = new StripedCursor(period, Rng.seeded(3), millisecondPerLook());
        int a = 1;
        int b = 2;
        takeTurns(cursor, a, b, 3); // the first looks find nobody busy yet

        List<Integer> walkOfA = new ArrayList<>();
        Set<Integer> seenByB = new HashSet<>();
        for (int round = 0; round < 8; round++) {
            walkOfA.addAll(picksOn(a, StripedCursor.CHECK_EVERY, cursor));
            seenByB.addAll(picksOn(b, StripedCursor.CHECK_EVERY, cursor));
        }

        Set<Integer> seenByA = new HashSet<>(walkOfA);
        assertThat(seenByA).hasSize(period / 2);
        assertThat(seenByB).hasSize(period / 2).doesNotContainAnyElementsOf(seenByA);
        assertInTurnWithin(walkOfA, period, period / 2);
    }

    @Test
    void aStripeThatPicksTwiceAsFastWalksAnArcTwiceAsLongOrMore() throws Exception {
        int period = 100;
        StripedCursor cursor = new StripedCursor(period, Rng.seeded(3), millisecondPerLook());
        int fast = 1;
        int slow = 2;
        Set<Integer> seenByFast = new HashSet<>();
        Set<Integer> seenBySlow = new HashSet<>();
        for (int round = 0; round < 12; round++) {
            List<Integer> byFast = picksOn(fast, 2 * StripedCursor.CHECK_EVERY, cursor);
            List<Integer> bySlow = picksOn(slow, StripedCursor.CHECK_EVERY, cursor);
            if (round >= 4) {
                seenByFast.addAll(byFast);
                seenBySlow.addAll(bySlow);
            }
        }

        assertThat(seenBySlow).doesNotContainAnyElementsOf(seenByFast);
        assertThat(seenByFast.size() + seenBySlow.size()).isEqualTo(period);
        assertThat(seenByFast.size()).isGreaterThanOrEqualTo(2 * seenBySlow.size());
    }

    @Test
    void whenTheOtherStripeStopsPickingTheLastOneWalksTheWholePeriodAgain() throws Exception {
        int period = 100;
        StripedCursor cursor = new StripedCursor(period, Rng.seeded(3), millisecondPerLook());
        int a = 1;
        int b = 2;
        takeTurns(cursor, a, b, 4);
        assertThat(new HashSet<>(picksOn(a, StripedCursor.CHECK_EVERY, cursor))).hasSize(period / 2);

        // b's last look is over BUSY_MILLIS looks (of a millisecond each) old after these.
        picksOn(a, StripedCursor.BUSY_MILLIS * StripedCursor.CHECK_EVERY, cursor);
        List<Integer> walk = picksOn(a, 3 * period, cursor);

        assertThat(new HashSet<>(walk)).hasSize(period);
        assertInTurnWithin(walk, period, period);
    }

    /** {@code rounds} rounds of a look's worth of picks on stripe {@code a}, then as many on {@code b}. */
    private static void takeTurns(StripedCursor cursor, int a, int b, int rounds) throws Exception {
        for (int round = 0; round < rounds; round++) {
            picksOn(a, StripedCursor.CHECK_EVERY, cursor);
            picksOn(b, StripedCursor.CHECK_EVERY, cursor);
        }
    }

    /** A clock that moves a millisecond each time it is read: a cursor reads it once per look. */
    private static Ticker millisecondPerLook() {
        AtomicLong clock = new AtomicLong();
        return () -> clock.addAndGet(1_000_000L);
    }

    /** Each step is the next position, but for one step back to the start of an arc {@code arc} long. */
    private static void assertInTurnWithin(List<Integer> walk, int period, int arc) {
        for (int k = 1; k < walk.size(); k++) {
            int step = Math.floorMod(walk.get(k) - walk.get(k - 1), period);
            assertThat(step == 1 || step == Math.floorMod(1 - arc, period))
                    .as("step %d: %d -> %d", k, walk.get(k - 1), walk.get(k)).isTrue();
        }
    }

    /** {@code picks} calls of the cursor on a fresh thread of stripe {@code stripe}, which is then done. */
    private static List<Integer> picksOn(int stripe, int picks, StripedCursor cursor) throws Exception {
        Thread thread;
        List<Integer> walk = new ArrayList<>(picks);
        do {
            thread = new Thread(() -> {
                for (int k = 0; k < picks; k++) {
                    walk.add(cursor.nextRelaxed());
                }
            });
        } while (StripedCursor.stripeOf(thread) != stripe);
        thread.start();
        thread.join();
        return walk;
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
