package dev.ballast.proxy.accesslog;

import io.netty.util.internal.ThreadExecutorMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The thread that writes access log chunks (see {@link LineBuffer}). Producers never block and never
 * take a lock: a lock-free queue of chunks bounded by a byte count; the writer drains it on a short
 * timer, woken early only when a burst fills an eighth of it. Each chunk holds whole lines and is
 * written with one call, so lines never interleave with each other, nor with other writers of the same
 * stream that write whole lines. Written chunks go back to a small pool, so steady logging makes no
 * garbage.
 */
final class AccessLogWriter implements AutoCloseable {

    static final int CHUNK_BYTES = 64 * 1024;
    /** Empty chunks kept for reuse: enough for the event loops' turnover, little memory when idle. */
    private static final int POOL_CHUNKS = 16;
    /**
     * The writer drains the queue and asks line buffers for their partial chunks this often. Waking it
     * per chunk would cost a futex wake per chunk; a line reaches the file within about three intervals
     * instead (ask, then send an idle loop a task, then write).
     */
    private static final long INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** How long close waits for event loops still running to hand over their partial chunks. */
    private static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

    private static final Logger log = LoggerFactory.getLogger(AccessLogWriter.class);

    private final OutputStream out;
    private final boolean closeOut;
    private final long capacityBytes;
    private final long wakeAtBytes;
    private final ConcurrentLinkedQueue<Chunk> queue = new ConcurrentLinkedQueue<>();
    /** Bytes of the chunks queued or being written (their capacity, which is what they hold on to). */
    private final AtomicLong queuedBytes = new AtomicLong();
    private final LongAdder dropped = new LongAdder();
    private final AtomicReferenceArray<Chunk> pool = new AtomicReferenceArray<>(POOL_CHUNKS);
    /** Event loops' buffers, to ask for partial chunks; added once per thread. */
    private final List<LineBuffer> buffers = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean sleeping;
    private volatile boolean closed;
    private boolean failed;

    private AccessLogWriter(OutputStream out, boolean closeOut, long capacityBytes) {
        this.out = out;
        this.closeOut = closeOut;
        this.capacityBytes = capacityBytes;
        this.wakeAtBytes = Math.max(1, capacityBytes / 8);
        this.thread = Thread.ofPlatform().daemon().name("ballast-access-log").unstarted(this::run);
    }

    /** Starts the writer; {@code capacityBytes} bounds the chunks waiting for it. */
    static AccessLogWriter start(OutputStream out, boolean closeOut, long capacityBytes) {
        AccessLogWriter writer = new AccessLogWriter(out, closeOut, capacityBytes);
        writer.thread.start();
        return writer;
    }

    /**
     * A buffer for the calling thread. On a Netty event loop ({@code currentExecutor} is set for its
     * thread) it is registered, so the writer can ask it for partial chunks.
     */
    LineBuffer newBuffer() {
        LineBuffer buffer = new LineBuffer(this, ThreadExecutorMap.currentExecutor());
        if (buffer.onEventLoop()) {
            buffers.add(buffer);
        }
        return buffer;
    }

    /**
     * Queues {@code chunk}, which then belongs to the writer; false when there is no room: its lines are
     * dropped and counted, and the caller keeps the chunk. Any thread; never blocks.
     */
    boolean offer(Chunk chunk) {
        int size = chunk.bytes.length;
        long queued = queuedBytes.addAndGet(size);
        if (queued > capacityBytes) {
            queuedBytes.addAndGet(-size);
            dropped.add(chunk.lines);
            return false;
        }
        queue.offer(chunk);
        if (queued >= wakeAtBytes && sleeping) {
            sleeping = false;
            LockSupport.unpark(thread);
        }
        return true;
    }

    /** An empty chunk: a recycled one when there is one. */
    Chunk chunk() {
        for (int i = 0; i < POOL_CHUNKS; i++) {
            Chunk chunk;
            if (pool.get(i) != null && (chunk = pool.getAndSet(i, null)) != null) {
                return chunk;
            }
        }
        return new Chunk(CHUNK_BYTES);
    }

    long dropped() {
        return dropped.sum();
    }

    private void run() {
        while (!closed) {
            for (LineBuffer buffer : buffers) {
                buffer.requestHandOver();
            }
            writeQueued();
            sleeping = true;
            if (!closed) {
                LockSupport.parkNanos(this, INTERVAL_NANOS);
            }
            sleeping = false;
        }
        long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
        boolean collected;
        do {
            collected = true;
            for (LineBuffer buffer : buffers) {
                collected &= buffer.collectAtClose();
            }
            writeQueued();
            if (!collected) {
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(10));
            }
        } while (!collected && System.nanoTime() < deadline);
    }

    /** Writes every queued chunk, then flushes once. */
    private void writeQueued() {
        Chunk chunk = queue.poll();
        if (chunk == null) {
            return;
        }
        do {
            try {
                out.write(chunk.bytes, 0, chunk.length);
            } catch (IOException e) {
                failed(e);
            }
            queuedBytes.addAndGet(-chunk.bytes.length);
            recycle(chunk);
        } while ((chunk = queue.poll()) != null);
        try {
            out.flush();
        } catch (IOException e) {
            failed(e);
        }
    }

    private void recycle(Chunk chunk) {
        if (chunk.bytes.length != CHUNK_BYTES) {
            return; // a copy or an oversized line: garbage, as it was made for one use
        }
        chunk.clear();
        for (int i = 0; i < POOL_CHUNKS; i++) {
            if (pool.get(i) == null && pool.compareAndSet(i, null, chunk)) {
                return;
            }
        }
    }

    private void failed(IOException e) {
        if (!failed) {
            failed = true; // say it once, not once per chunk
            log.error("cannot write the access log: {}", e.toString());
        }
    }

    /**
     * Writes what is queued and what the line buffers hold, and stops the writer. Lines logged after
     * this are not written.
     */
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
