package dev.ballast.proxy;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGHUP reloads the configuration, as for nginx and HAProxy. Without a handler SIGHUP would end the
 * JVM, so the handler is installed only where a reload makes sense ({@code ballast run -c FILE}), and
 * the previous one is put back when the proxy stops.
 */
final class ReloadSignal implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReloadSignal.class);
    private static final Signal HUP = new Signal("HUP");

    private final SignalHandler previous;

    private ReloadSignal(SignalHandler previous) {
        this.previous = previous;
    }

    /** Runs {@code reload} on each SIGHUP (on the JVM's signal thread: it must only hand the work off). */
    static ReloadSignal install(Runnable reload) {
        try {
            SignalHandler previous = Signal.handle(HUP, signal -> reload.run());
            if (previous == SignalHandler.SIG_IGN) {
                // The JVM leaves a signal the process inherited as ignored (nohup) ignored, handler or not.
                log.warn("SIGHUP is ignored by this process (started under nohup?), so it will not reload;"
                        + " reload with POST /reload or by changing the configuration (file or etcd key), or start it without nohup");
            }
            return new ReloadSignal(previous);
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            log.info("cannot handle SIGHUP here ({}); reload with POST /reload or by changing the configuration (file or etcd key)", e.getMessage());
            return new ReloadSignal(null);
        }
    }

    @Override
    public void close() {
        if (previous != null) {
            Signal.handle(HUP, previous);
        }
    }
}
