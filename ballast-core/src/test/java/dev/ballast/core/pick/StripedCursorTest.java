package dev.ballast.core.pick;

import dev.ballast.core.time.Ticker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.function.IntSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The per-thread turns of {@link StripedCursor}: a thread that picks alone, or rarely, goes through
 * every position in turn; stripes start far apart; busy stripes walk arcs of their own, sized by how
 * fast each picks, unless the period is too short to split evenly or the clock does not move; and an
 * arc goes back to the others when its stripe stops. The busy cases run each stripe's picks in turn on
 * a clock that moves a quarter of a millisecond at every look, so they are exact.
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
        int period = 200;
        StripedCursor cursor = onQuarterMillisecondLooks(period);
        int a = 1;
        int b = 2;
        takeTurns(cursor, a, b, WARM_UP_ROUNDS); // the first looks find nobody busy yet

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
    void aStripeThatPicksTwiceAsFastWalksAnArcTwiceAsLongAndEveryPositionKeepsItsShare() throws Exception {
        int period = 200;
        StripedCursor cursor = onQuarterMillisecondLooks(period);
        int fast = 1;
        int slow = 2;
        int[] byFast = new int[period];
        int[] bySlow = new int[period];
        for (int round = 0; round < 4 * WARM_UP_ROUNDS; round++) {
            List<Integer> fastWalk = picksOn(fast, 2 * StripedCursor.CHECK_EVERY, cursor);
            List<Integer> slowWalk = picksOn(slow, StripedCursor.CHECK_EVERY, cursor);
            if (round >= WARM_UP_ROUNDS) {
                fastWalk.forEach(at -> byFast[at]++);
                slowWalk.forEach(at -> bySlow[at]++);
            }
        }

        int mostlyFast = 0;
        int mean = 3 * StripedCursor.CHECK_EVERY * 3 * WARM_UP_ROUNDS / period;
        for (int at = 0; at < period; at++) {
            mostlyFast += byFast[at] > bySlow[at] ? 1 : 0;
            // Equal halves would give the slow stripe's positions half the turns of the fast one's.
            assertThat(byFast[at] + bySlow[at]).as("turns of position %d", at).isBetween(mean * 9 / 10, mean * 11 / 10);
        }
        assertThat(mostlyFast).isCloseTo(2 * period / 3, within(period / 20));
    }

    @Test
    void whenTheOtherStripeStopsPickingTheLastOneWalksTheWholePeriodAgain() throws Exception {
        int period = 200;
        StripedCursor cursor = onQuarterMillisecondLooks(period);
        int a = 1;
        int b = 2;
        takeTurns(cursor, a, b, WARM_UP_ROUNDS);
        assertThat(new HashSet<>(picksOn(a, StripedCursor.CHECK_EVERY, cursor))).hasSize(period / 2);

        // Eight looks of a's alone: b's last look is two milliseconds old, and a has measured since.
        picksOn(a, 8 * StripedCursor.CHECK_EVERY, cursor);
        List<Integer> walk = picksOn(a, 3 * period, cursor);

        assertThat(new HashSet<>(walk)).hasSize(period);
        assertInTurnWithin(walk, period, period);
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 2 * StripedCursor.MIN_ARC - 1})
    void aPeriodTooShortToSplitEvenlyIsWalkedWholeByEveryBusyStripe(int period) throws Exception {
        StripedCursor cursor = onQuarterMillisecondLooks(period);
        takeTurns(cursor, 1, 2, WARM_UP_ROUNDS);

        assertStripesWalkTheWholePeriod(cursor, period, StripedCursor.CHECK_EVERY, 1, 2);
    }

    @Test
    void aClockThatDoesNotMoveBetweenLooksMakesNoStripeBusy() throws Exception {
        int period = 200;
        // A coarse clock: it moves 0.4 ms at every fourth read and stands still otherwise. Taken at its
        // word, every stripe would pick without taking any time and be busy.
        AtomicLong reads = new AtomicLong();
        StripedCursor cursor = new StripedCursor(period, Rng.seeded(3), () -> reads.incrementAndGet() / 4 * 400_000L);
        takeTurns(cursor, 1, 2, 4 * WARM_UP_ROUNDS);

        assertStripesWalkTheWholePeriod(cursor, period, 2 * period, 1, 2);
    }

    @Test
    void noArcsWhenTheSlowestStripesArcWouldBeShort() throws Exception {
        // Enough positions for two equal arcs of MIN_ARC, but one stripe picks twice as fast as the
        // other, whose arc would be 50 positions.
        int period = 150;
        StripedCursor cursor = onQuarterMillisecondLooks(period);
        for (int round = 0; round < 3 * WARM_UP_ROUNDS; round++) {
            picksOn(1, 2 * StripedCursor.CHECK_EVERY, cursor);
            picksOn(2, StripedCursor.CHECK_EVERY, cursor);
        }

        assertStripesWalkTheWholePeriod(cursor, period, StripedCursor.CHECK_EVERY, 1, 2);
    }

    /** {@code rounds} rounds of a look's worth of picks on stripe {@code a}, then as many on {@code b}. */
    private static void takeTurns(StripedCursor cursor, int a, int b, int rounds) throws Exception {
        for (int round = 0; round < rounds; round++) {
            picksOn(a, StripedCursor.CHECK_EVERY, cursor);
            picksOn(b, StripedCursor.CHECK_EVERY, cursor);
        }
    }

    /** Rounds of turns after which two stripes that take turns on {@link #onQuarterMillisecondLooks} both have arcs. */
    private static final int WARM_UP_ROUNDS = 6;

    /**
     * A cursor on a clock that moves a quarter of a millisecond each time it is read: a cursor reads it
     * once per look, so two stripes taking turns look every half millisecond (busy), and measure their
     * rates every other look.
     */
    private static StripedCursor onQuarterMillisecondLooks(int period) {
        AtomicLong clock = new AtomicLong();
        return new StripedCursor(period, Rng.seeded(3), () -> clock.addAndGet(StripedCursor.BUSY_NANOS / 4));
    }

    /** Each of {@code stripes}, picking {@code picks} times, goes through every position of the period in turn. */
    private static void assertStripesWalkTheWholePeriod(StripedCursor cursor, int period, int picks, int... stripes)
            throws Exception {
        for (int stripe : stripes) {
            List<Integer> walk = picksOn(stripe, picks, cursor);
            assertThat(new HashSet<>(walk)).as("stripe %d", stripe).hasSize(period);
            assertInTurnWithin(walk, period, period);
        }
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
        assertThat(thread.join(Duration.ofSeconds(10))).as("the picking thread ended").isTrue();
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
                start.await(10, TimeUnit.SECONDS);
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
            assertThat(slot.thread.join(Duration.ofSeconds(10))).as("%s ended", slot.thread).isTrue();
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
