package dev.ballast.proxy.accesslog;

import dev.ballast.proxy.config.AccessLogConfig;
import dev.ballast.proxy.http.RequestObserver;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The access log a running proxy writes to, which a reload may turn on, off, point elsewhere or
 * reopen (after logrotate moved the file) without losing a line. Event loops read the current log
 * once per request (a volatile read). The caller opens the new log first ({@link AccessLog#open}), so
 * a file that cannot be opened rejects the reload and the old log goes on; then each event loop, in
 * its own thread, hands its buffered lines to the old writer, and only when every loop has done so is
 * the old writer closed, on a thread of its own: closing waits for its disk, and a stalled disk must
 * not hold up the control thread (health checks, ejections, reloads).
 */
public final class LiveAccessLog implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LiveAccessLog.class);

    private final EventExecutorGroup loops;
    private volatile AccessLog current;
    private volatile AccessLogConfig config;
    /** Logs switched away from and not closed yet. Guarded by this, as is the next field. */
    private final Set<AccessLog> retiring = new HashSet<>();
    /** Lines the closed logs dropped: the metric counts every log once, so it only ever grows. */
    private long droppedByClosed;

    /**
     * @param opened the log {@code config} describes, already {@link AccessLog#open opened}
     * @param loops  the event loops that log
     */
    public LiveAccessLog(AccessLogConfig config, AccessLog opened, EventExecutorGroup loops) {
        this.loops = loops;
        this.current = opened;
        this.config = config;
    }

    /** Tells the current log about each request: logs nothing while it is off. */
    public RequestObserver observer() {
        return request -> current.log(request);
    }

    public AccessLogConfig config() {
        return config;
    }

    /**
     * Switches to {@code next}, {@link AccessLog#open opened} for {@code nextConfig}; the old log
     * finishes its lines. Call it on the control thread.
     */
    public void switchTo(AccessLogConfig nextConfig, AccessLog next) {
        AccessLog old;
        AccessLogConfig oldConfig;
        synchronized (this) {
            old = current;
            oldConfig = config;
            retiring.add(old);
            current = next;
            config = nextConfig;
        }
        log.info(nextConfig.equals(oldConfig) ? "access log reopened: {}" : "access log switched to {}",
                describe(nextConfig));
        retire(old);
    }

    private void retire(AccessLog old) {
        // One count per loop, plus one held until every loop's task is submitted.
        AtomicInteger loopsLeft = new AtomicInteger(1);
        Runnable closeWhenAllDone = () -> {
            if (loopsLeft.decrementAndGet() == 0) {
                Thread.ofPlatform().daemon().name("access-log-close").start(() -> {
                    old.close();
                    synchronized (this) {
                        droppedByClosed += old.dropped();
                        retiring.remove(old);
                    }
                });
            }
        };
        for (EventExecutor loop : loops) {
            loopsLeft.incrementAndGet();
            try {
                loop.execute(() -> {
                    try {
                        old.releaseCurrentThread();
                    } finally {
                        closeWhenAllDone.run();
                    }
                });
            } catch (RejectedExecutionException stopping) {
                closeWhenAllDone.run(); // a loop that stops hands its lines over as it goes
            }
        }
        closeWhenAllDone.run();
    }

    /** True while a log a reload switched away from is still being closed; for tests. */
    synchronized boolean closingOld() {
        return !retiring.isEmpty();
    }

    /** Lines dropped because a writer could not keep up, over every log this proxy has had. */
    public synchronized long dropped() {
        long dropped = droppedByClosed + current.dropped();
        for (AccessLog retired : retiring) {
            dropped += retired.dropped();
        }
        return dropped;
    }

    /**
     * Closes the current log, and any log a reload switched away from just before: call it after the
     * event loops have stopped (their buffered lines are handed over as they stop).
     */
    @Override
    public void close() {
        List<AccessLog> open;
        synchronized (this) {
            open = new ArrayList<>(retiring);
            open.add(current);
        }
        open.forEach(AccessLog::close);
    }

    private static String describe(AccessLogConfig config) {
        if (!config.enabled()) {
            return "off";
        }
        return (config.toStdout() ? "stdout" : config.path()) + ", sample " + config.sample();
    }
}
