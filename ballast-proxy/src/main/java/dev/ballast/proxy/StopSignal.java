package dev.ballast.proxy;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.util.concurrent.CountDownLatch;

/**
 * Waits for SIGTERM or SIGINT. Handling the signals (instead of only a shutdown hook) lets the main
 * thread drain the proxy and then exit 0, which a shutdown hook cannot do: the JVM would report
 * 128+signal. A shutdown hook stays as the fallback for any other way the JVM is told to stop.
 */
final class StopSignal {

    private static final Logger log = LoggerFactory.getLogger(StopSignal.class);

    private final CountDownLatch stop = new CountDownLatch(1);
    private volatile String reason = "stop requested";

    /** Routes SIGTERM and SIGINT to {@link #trigger}. */
    StopSignal installHandlers() {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), signal -> trigger("SIG" + signal.getName()));
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                log.debug("cannot handle SIG{} here ({}); relying on the shutdown hook", name, e.getMessage());
            }
        }
        return this;
    }

    void trigger(String why) {
        reason = why;
        stop.countDown();
    }

    /** Blocks until a stop signal; returns what stopped it. */
    String await() throws InterruptedException {
        stop.await();
        return reason;
    }
}
