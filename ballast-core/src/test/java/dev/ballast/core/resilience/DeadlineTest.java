package dev.ballast.core.resilience;

import dev.ballast.core.testing.FakeTicker;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeadlineTest {

    private final FakeTicker ticker = new FakeTicker();

    @Test
    void remainingCountsDownWithTheTicker() {
        Deadline deadline = Deadline.after(Duration.ofSeconds(2), ticker);
        assertThat(deadline.remaining()).isEqualTo(Duration.ofSeconds(2));

        ticker.advance(Duration.ofMillis(1500));

        assertThat(deadline.remaining()).isEqualTo(Duration.ofMillis(500));
        assertThat(deadline.expired()).isFalse();
    }

    @Test
    void expiresExactlyAtTheDeadlineAndRemainingStaysZero() {
        Deadline deadline = Deadline.after(Duration.ofMillis(100), ticker);
        ticker.advance(Duration.ofMillis(99));
        assertThat(deadline.expired()).isFalse();
        ticker.advance(Duration.ofMillis(1));
        assertThat(deadline.expired()).isTrue();
        assertThat(deadline.remainingNanos()).isZero();
        ticker.advance(Duration.ofSeconds(1));
        assertThat(deadline.remainingNanos()).isZero();
        assertThat(deadline.toString()).contains("expired");
    }

    @Test
    void tryTimeoutIsTheSmallerOfTimeLeftAndPerTryTimeout() {
        Deadline deadline = Deadline.after(Duration.ofSeconds(5), ticker);
        assertThat(deadline.tryTimeoutNanos(Duration.ofSeconds(2))).isEqualTo(Duration.ofSeconds(2).toNanos());

        ticker.advance(Duration.ofMillis(4200));

        assertThat(deadline.tryTimeoutNanos(Duration.ofSeconds(2))).isEqualTo(Duration.ofMillis(800).toNanos());
        assertThat(deadline.tryTimeoutNanos(Duration.ZERO)).isEqualTo(Duration.ofMillis(800).toNanos());
    }

    @Test
    void forTryTakesTheEarlierDeadline() {
        Deadline call = Deadline.after(Duration.ofSeconds(5), ticker);
        Deadline firstTry = call.forTry(Duration.ofSeconds(2));
        assertThat(firstTry.remaining()).isEqualTo(Duration.ofSeconds(2));

        ticker.advance(Duration.ofMillis(4000));

        assertThat(call.forTry(Duration.ofSeconds(2))).isSameAs(call);
        assertThat(call.forTry(Duration.ZERO)).isSameAs(call);
    }

    @Test
    void noDeadlineNeverExpiresAndLosesEveryComparison() {
        Deadline none = Deadline.none(ticker);
        Deadline soon = Deadline.after(Duration.ofMillis(1), ticker);
        ticker.advance(Duration.ofDays(3650));

        assertThat(none.expired()).isFalse();
        assertThat(none.remainingNanos()).isEqualTo(Long.MAX_VALUE);
        assertThat(none.min(soon)).isSameAs(soon);
        assertThat(soon.min(none)).isSameAs(soon);
        assertThat(none.tryTimeoutNanos(Duration.ofSeconds(2))).isEqualTo(Duration.ofSeconds(2).toNanos());
        assertThat(none.forTry(Duration.ofSeconds(2)).remaining()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void aChildInheritsTheEarlierOfItsOwnAndItsParentsDeadline() {
        Deadline parent = Deadline.after(Duration.ofSeconds(1), ticker);
        ticker.advance(Duration.ofMillis(700));
        Deadline child = Deadline.after(Duration.ofSeconds(10), ticker).min(parent);
        assertThat(child).isSameAs(parent);
        assertThat(child.remaining()).isEqualTo(Duration.ofMillis(300));
    }

    @Test
    void hugeTimeoutsMeanNoDeadlineRatherThanOverflow() {
        assertThat(Deadline.after(Duration.ofSeconds(Long.MAX_VALUE), ticker).isInfinite()).isTrue();
        assertThat(Deadline.afterNanos(Long.MAX_VALUE, ticker).expired()).isFalse();
    }

    @Test
    void comparesAcrossTheTickerWrapping() {
        FakeTicker nearMax = new FakeTicker();
        nearMax.advanceNanos(Long.MAX_VALUE - nearMax.nanos() - 10);
        Deadline before = Deadline.afterNanos(5, nearMax);
        Deadline after = Deadline.afterNanos(20, nearMax); // wraps to a negative tick value
        assertThat(before.compareTo(after)).isNegative();
        assertThat(after.min(before)).isSameAs(before);
        assertThat(after.remainingNanos()).isEqualTo(20);
    }

    @Test
    void deadlinesOnDifferentTickersCannotBeCombined() {
        Deadline mine = Deadline.after(Duration.ofSeconds(1), ticker);
        Deadline other = Deadline.after(Duration.ofSeconds(1), new FakeTicker());
        assertThatThrownBy(() -> mine.min(other)).isInstanceOf(IllegalArgumentException.class);
    }
}
