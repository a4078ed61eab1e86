package dev.ballast.proxy.accesslog;

import dev.ballast.proxy.config.AccessLogConfig;
import dev.ballast.proxy.http.RequestObserver;
import dev.ballast.proxy.http.RequestRecord;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code access_log}: one JSON line per request (or per sampled request). The event loop only formats
 * the line and queues it; a dedicated writer thread writes batches to stdout or a file. When the
 * writer falls behind and its bounded queue is full, lines are dropped and counted, never waited for:
 * logging must not slow the traffic it describes.
 */
public final class AccessLog implements AutoCloseable {

    /** Lines that may wait for the writer: about 30 MB of 500-byte lines at worst. */
    static final int QUEUE_CAPACITY = 64 * 1024;

    private static final AccessLog OFF = new AccessLog(null, 0);

    private final AccessLogWriter writer;
    private final double sample;

    private AccessLog(AccessLogWriter writer, double sample) {
        this.writer = writer;
        this.sample = sample;
    }

    /**
     * Opens the log that {@code config} describes, or a disabled one.
     *
     * @throws IllegalStateException when the file cannot be opened for appending (the message names it)
     */
    public static AccessLog open(AccessLogConfig config) {
        if (!config.enabled()) {
            return OFF;
        }
        OutputStream out;
        if (config.toStdout()) {
            out = System.out;
        } else {
            try {
                out = new FileOutputStream(Path.of(config.path()).toFile(), true);
            } catch (IOException e) {
                throw new IllegalStateException("cannot open access_log.path " + config.path() + ": " + e.getMessage(), e);
            }
        }
        return new AccessLog(AccessLogWriter.start(out, !config.toStdout(), QUEUE_CAPACITY), config.sample());
    }

    /** What the proxy tells about each request: nothing when the log is off. */
    public RequestObserver observer() {
        if (writer == null) {
            return RequestObserver.NONE;
        }
        return this::log;
    }

    private void log(RequestRecord request) {
        if (sample < 1 && ThreadLocalRandom.current().nextDouble() >= sample) {
            return;
        }
        writer.offer(AccessLogLine.format(request, System.currentTimeMillis()));
    }

    /** Lines dropped because the writer could not keep up. */
    public long dropped() {
        return writer == null ? 0 : writer.dropped();
    }

    /** Writes what is queued and stops the writer. */
    @Override
    public void close() {
        if (writer != null) {
            writer.close();
        }
    }
}
