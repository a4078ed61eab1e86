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
 * a lock-free queue bounded by a counter, and a wake-up only when the writer is asleep. The writer
 * drains everything queued into one buffer and writes it with one call, so lines never interleave
 * with each other, nor with other writers of the same stream that write whole lines.
 */
final class AccessLogWriter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AccessLogWriter.class);
    private static final int BATCH_BYTES = 64 * 1024;
    /** A safety net for a missed wake-up; normally the writer is woken by the first line queued. */
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final OutputStream out;
    private final boolean closeOut;
    private final int capacity;
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
        this.thread = Thread.ofPlatform().daemon().name("ballast-access-log").unstarted(this::run);
    }

    static AccessLogWriter start(OutputStream out, boolean closeOut, int capacity) {
        AccessLogWriter writer = new AccessLogWriter(out, closeOut, capacity);
        writer.thread.start();
        return writer;
    }

    /** Queues a line (ending in a newline); false when the queue is full and the line was dropped. */
    boolean offer(String line) {
        if (queued.incrementAndGet() > capacity) {
            queued.decrementAndGet();
            dropped.increment();
            return false;
        }
        queue.offer(line);
        if (sleeping) {
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
            if (!writeQueued()) {
                sleeping = true;
                if (queue.isEmpty() && !closed) { // checked after announcing sleep: no line is missed
                    LockSupport.parkNanos(this, IDLE_PARK_NANOS);
                }
                sleeping = false;
            }
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
