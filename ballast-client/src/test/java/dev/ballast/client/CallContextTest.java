package dev.ballast.client;

import dev.ballast.core.testing.FakeTicker;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CallContextTest {

    private final FakeTicker ticker = new FakeTicker();

    @Test
    void aChildNeverOutlivesItsParent() {
        CallContext parent = CallContext.root(ticker).withTimeout(Duration.ofMillis(300));

        CallContext longer = parent.withTimeout(Duration.ofSeconds(10));
        CallContext shorter = parent.withTimeout(Duration.ofMillis(100));

        assertThat(longer.remaining()).contains(Duration.ofMillis(300));
        assertThat(shorter.remaining()).contains(Duration.ofMillis(100));
        ticker.advance(Duration.ofMillis(300));
        assertThat(longer.isExpired()).isTrue();
        assertThat(longer.remainingNanos()).isZero();
    }

    @Test
    void withoutADeadlineNothingExpires() {
        CallContext context = CallContext.root(ticker).child();

        ticker.advance(Duration.ofDays(365));

        assertThat(context.hasDeadline()).isFalse();
        assertThat(context.isExpired()).isFalse();
        assertThat(context.remaining()).isEmpty();
        assertThat(context.remainingNanos()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void cancellingAParentCancelsEveryDescendantAndRunsTheirHooksOnce() {
        CallContext root = CallContext.root(ticker);
        CallContext child = root.child();
        CallContext grandchild = child.withTimeout(Duration.ofSeconds(1));
        AtomicInteger hooks = new AtomicInteger();
        grandchild.onCancel(hooks::incrementAndGet);

        root.cancel();
        root.cancel();

        assertThat(child.isCancelled()).isTrue();
        assertThat(grandchild.isCancelled()).isTrue();
        assertThat(hooks).hasValue(1);
    }

    @Test
    void aHookThatThrowsStopsNeitherTheOtherHooksNorTheDescendantsAndIsRethrownOnce() {
        CallContext root = CallContext.root(ticker);
        root.onCancel(() -> {
            throw new IllegalStateException("first hook");
        });
        CallContext child = root.child();
        AtomicInteger later = new AtomicInteger();
        root.onCancel(later::incrementAndGet);
        AssertionError error = new AssertionError("an Error");
        root.onCancel(() -> {
            throw error;
        });

        assertThatThrownBy(root::cancel).isInstanceOf(IllegalStateException.class).hasMessage("first hook")
                .satisfies(e -> assertThat(e.getSuppressed()).containsExactly(error));

        assertThat(child.isCancelled()).isTrue();
        assertThat(later).hasValue(1);
        root.cancel(); // idempotent: nothing runs, nothing is thrown again
    }

    @Test
    void oneExceptionThrownByTwoHooksIsRethrownNotSuppressedIntoItself() {
        CallContext root = CallContext.root(ticker);
        IllegalStateException shared = new IllegalStateException("shared");
        root.onCancel(() -> {
            throw shared;
        });
        CallContext child = root.child();
        root.onCancel(() -> {
            throw shared;
        });

        assertThatThrownBy(root::cancel).isSameAs(shared);
        assertThat(child.isCancelled()).isTrue();
    }

    @Test
    void aHookRegisteredAfterCancellationRunsAtOnceAndAClosedRegistrationNever() {
        CallContext context = CallContext.root(ticker);
        AtomicInteger removed = new AtomicInteger();
        context.onCancel(removed::incrementAndGet).close();
        context.cancel();
        AtomicInteger late = new AtomicInteger();

        context.onCancel(late::incrementAndGet);

        assertThat(removed).hasValue(0);
        assertThat(late).hasValue(1);
    }

    @Test
    void cancellingAChildLeavesTheParentAlone() {
        CallContext parent = CallContext.root(ticker);
        CallContext child = parent.child();

        child.close();

        assertThat(child.isCancelled()).isTrue();
        assertThat(parent.isCancelled()).isFalse();
    }

    @Test
    void theBackgroundContextCannotBeCancelled() {
        assertThatThrownBy(() -> CallContext.background().cancel())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("background");
        CallContext.background().close(); // a no-op, so try-with-resources on any context is safe
        assertThat(CallContext.background().isCancelled()).isFalse();
    }

    @Test
    void anInboundRequestsHeadersGiveTheDeadlineAndTrace() {
        Map<String, String> headers = Map.of(
                "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "tracestate", "vendor=1",
                "x-ballast-timeout-ms", "2000");

        CallContext context = CallContext.fromHeaders(headers::get);
        var remaining = context.remaining(); // at once: the deadline runs on the system clock

        assertThat(context.trace()).hasValueSatisfying(trace -> {
            assertThat(trace.traceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
            assertThat(trace.spanId()).isEqualTo("00f067aa0ba902b7");
            assertThat(trace.traceState()).isEqualTo("vendor=1");
        });
        assertThat(remaining).hasValueSatisfying(left -> assertThat(left)
                .isLessThanOrEqualTo(Duration.ofMillis(2_000)).isGreaterThan(Duration.ofMillis(1_000))); // not s, not µs
    }

    @Test
    void malformedInboundHeadersAreIgnored() {
        Map<String, String> headers = Map.of("traceparent", "garbage", "x-ballast-timeout-ms", "soon");

        CallContext context = CallContext.fromHeaders(headers::get);

        assertThat(context.trace()).isEmpty();
        assertThat(context.hasDeadline()).isFalse();
    }
}
