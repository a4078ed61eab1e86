package dev.ballast.proxy.accesslog;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The thread that writes access log lines. Producers (event loops) never block and never take a lock:
 * a lock-free queue bounded by a counter; the writer drains it on a short timer and is woken early
 * only when a burst fills an eighth of the queue. It writes everything queued into one buffer with
 * one call, so lines never interleave with each other, nor with other writers of the same stream
 * that write whole lines.
 */
final class AccessLogWriter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AccessLogWriter.class);
    private static final int BATCH_BYTES = 64 * 1024;
    /**
     * The writer drains the queue this often. Waking it per line would cost a futex wake and a write
     * per few requests, taking CPU from the event loops on a small machine; a line reaches the file
     * within this interval instead.
     */
    private static final long BATCH_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private final OutputStream out;
    private final boolean closeOut;
    private final int capacity;
    /** Past this many queued lines the writer is woken early, so a burst cannot fill the queue. */
    private final int wakeAt;
    private final ConcurrentLinkedQueue<String> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final LongAdder dropped = new LongAdder();
    private final ByteArrayOutputStream batch = new ByteArrayOutputStream(BATCH_BYTES);
    private final Thread thread;
    private volatile boolean sleeping;
    private volatile boolean closed;
    private boolean failed;

    private AccessLogWriter(OutputStream out, boolean closeOut, int capacity) {
        this.out = out;
        this.closeOut = closeOut;
        this.capacity = capacity;
        this.wakeAt = Math.max(1, capacity / 8);
        this.thread = Thread.ofPlatform().daemon().name("ballast-access-log").unstarted(this::run);
    }

    static AccessLogWriter start(OutputStream out, boolean closeOut, int capacity) {
        AccessLogWriter writer = new AccessLogWriter(out, closeOut, capacity);
        writer.thread.start();
        return writer;
    }

    /** Queues a line (ending in a newline); false when the queue is full and the line was dropped. */
    boolean offer(String line) {
        int count = queued.incrementAndGet();
        if (count > capacity) {
            queued.decrementAndGet();
            dropped.increment();
            return false;
        }
        queue.offer(line);
        if (count >= wakeAt && sleeping) {
            sleeping = false;
            LockSupport.unpark(thread);
        }
        return true;
    }

    long dropped() {
        return dropped.sum();
    }

    private void run() {
        while (!closed) {
            writeQueued();
            sleeping = true;
            if (!closed) {
                LockSupport.parkNanos(this, BATCH_INTERVAL_NANOS);
            }
            sleeping = false;
        }
        writeQueued();
    }

    /** Writes everything queued now; false when there was nothing. */
    private boolean writeQueued() {
        String line = queue.poll();
        if (line == null) {
            return false;
        }
        do {
            queued.decrementAndGet();
            byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
            batch.write(bytes, 0, bytes.length);
            if (batch.size() >= BATCH_BYTES) {
                flush();
            }
        } while ((line = queue.poll()) != null);
        flush();
        return true;
    }

    private void flush() {
        try {
            batch.writeTo(out);
            out.flush();
        } catch (IOException e) {
            if (!failed) {
                failed = true; // say it once, not once per batch
                log.error("cannot write the access log: {}", e.toString());
            }
        }
        batch.reset();
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (closeOut) {
            try {
                out.close();
            } catch (IOException e) {
                log.debug("closing the access log: {}", e.toString());
            }
        }
    }
}
