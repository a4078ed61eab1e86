package dev.ballast.client.internal;

import dev.ballast.client.CallListener;
import dev.ballast.core.pick.Rng;
import dev.ballast.core.time.Scheduler;
import dev.ballast.core.time.Ticker;

/**
 * What every service of one client shares; injected so tests control time and randomness.
 *
 * @param ticker   latencies, ejections, slow start
 * @param control  control-path work: slow start, ejections, health checks (tests may fake it)
 * @param timers   per-attempt timeouts, on real time
 * @param rng      backoff jitter and balancer randomness
 * @param listener attempt and endpoint events
 */
public record Resources(Ticker ticker, Scheduler control, Scheduler timers, Rng rng, CallListener listener)
        implements AutoCloseable {

    /** Attempt timeouts are checked this often: a timeout fires up to this late. */
    static final long TIMEOUT_TICK_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(5);

    /** The timeout thread parks for good after this long without a call. */
    static final long IDLE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);

    /** Resources with the client's own timeout thread. */
    public static Resources create(Ticker ticker, Scheduler control, Rng rng, CallListener listener) {
        return new Resources(ticker, control, new TimeoutSweeper(TIMEOUT_TICK_NANOS, IDLE_NANOS,
                "ballast-client-timeouts"), rng, listener);
    }

    /** Stops the timeout thread if these resources made it. */
    @Override
    public void close() {
        if (timers instanceof TimeoutSweeper sweeper) {
            sweeper.close();
        }
    }
}
