package dev.ballast.core.testing;

import dev.ballast.core.time.Ticker;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that moves only when a test says so. */
public final class FakeTicker implements Ticker {

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    @Override
    public long nanos() {
        return nanos.get();
    }

    public FakeTicker advance(Duration duration) {
        nanos.addAndGet(duration.toNanos());
        return this;
    }

    public FakeTicker advanceNanos(long delta) {
        nanos.addAndGet(delta);
        return this;
    }
}
