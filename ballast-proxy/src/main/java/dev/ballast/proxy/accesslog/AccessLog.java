package dev.ballast.proxy.accesslog;

import dev.ballast.proxy.config.AccessLogConfig;
import dev.ballast.proxy.http.RequestObserver;
import dev.ballast.proxy.http.RequestRecord;
import io.netty.util.concurrent.FastThreadLocal;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code access_log}: one JSON line per request (or per sampled request). Each event loop formats its
 * lines straight into its own buffer and hands whole chunks of lines to a dedicated writer thread,
 * which writes them to stdout or a file (see {@link LineBuffer}). When the writer falls behind and its
 * bounded queue is full, lines are dropped and counted, never waited for: logging must not slow the
 * traffic it describes.
 */
public final class AccessLog implements AutoCloseable {

    /** Bytes that may wait for the writer: 256 chunks (16 MiB), some 50,000 lines of 330 bytes. */
    static final long QUEUE_BYTES = 256L * AccessLogWriter.CHUNK_BYTES;

    private static final AccessLog OFF = new AccessLog(null, 0);

    private final AccessLogWriter writer;
    private final double sample;
    private final FastThreadLocal<LineBuffer> buffers;

    private AccessLog(AccessLogWriter writer, double sample) {
        this.writer = writer;
        this.sample = sample;
        this.buffers = writer == null ? null : new FastThreadLocal<>() {
            @Override
            protected LineBuffer initialValue() {
                return writer.newBuffer();
            }

            /** Netty removes an event loop's thread-locals as it stops: its last lines go then, from its own thread. */
            @Override
            protected void onRemoval(LineBuffer buffer) {
                buffer.handOver();
            }
        };
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
        if (config.toStdout()) {
            return start(System.out, false, QUEUE_BYTES, config.sample());
        }
        OutputStream out;
        try {
            out = new FileOutputStream(Path.of(config.path()).toFile(), true);
        } catch (IOException e) {
            throw new IllegalStateException("cannot open access_log.path " + config.path() + ": " + e.getMessage(), e);
        }
        // buffered, so that the small partial chunks of a quiet moment cost one write call, not one each
        return start(new BufferedOutputStream(out, AccessLogWriter.CHUNK_BYTES), true, QUEUE_BYTES, config.sample());
    }

    /** A log to {@code out}, closing it on close when {@code closeOut}; {@code queueBytes} bounds what waits for the writer. */
    static AccessLog start(OutputStream out, boolean closeOut, long queueBytes, double sample) {
        return new AccessLog(AccessLogWriter.start(out, closeOut, queueBytes), sample);
    }

    /** What the proxy tells about each request: nothing when the log is off. */
    public RequestObserver observer() {
        if (writer == null) {
            return RequestObserver.NONE;
        }
        return this::log;
    }

    /** Logs {@code request} (or skips it, by the sample rate); on an event loop, into that loop's buffer. */
    void log(RequestRecord request) {
        if (writer == null) {
            return;
        }
        if (sample < 1 && ThreadLocalRandom.current().nextDouble() >= sample) {
            return;
        }
        buffers.get().append(request, System.currentTimeMillis());
    }

    /**
     * Hands the calling thread's buffered lines to the writer and forgets its buffer: what an event
     * loop does once it logs to another log (see {@link LiveAccessLog}).
     */
    void releaseCurrentThread() {
        if (buffers != null) {
            buffers.remove();
        }
    }

    /** Lines dropped because the writer could not keep up. */
    public long dropped() {
        return writer == null ? 0 : writer.dropped();
    }

    /**
     * Writes what is queued and what the threads' buffers hold, and stops the writer. Call it after the
     * event loops have stopped: a loop still running gets a moment to hand its lines over, and what it
     * logs after that is lost.
     */
    @Override
    public void close() {
        if (writer != null) {
            writer.close();
        }
    }
}
