package dev.ballast.proxy.accesslog;

import dev.ballast.proxy.http.RequestRecord;
import io.netty.util.concurrent.EventExecutor;

import java.util.concurrent.RejectedExecutionException;

/**
 * One thread's access log lines. An event loop formats each line straight into a chunk that only it
 * touches and gives the writer whole chunks: one queue operation per chunk of a few hundred lines, and
 * no allocation or shared-memory write per line (issue 5: the log cost 15% of throughput when each line
 * was a string queued on its own). Lines never straddle chunks, so they never interleave in the file.
 *
 * <p>A partial chunk must not wait for traffic to fill it. The writer asks for it every interval, and
 * only the owner touches the chunk: a busy loop sees {@code handOverRequested} at its next line (a
 * volatile read, no write); a loop that logged nothing since the last ask is sent {@code handOver} as
 * a task, so an idle loop is woken only when it holds lines.
 *
 * <p>Other threads (tests, tools) cannot be sent a task, so they hand over each line at once, as a copy.
 */
final class LineBuffer {

    private final AccessLogWriter writer;
    /** The event loop this buffer belongs to; null for any other thread. */
    private final EventExecutor owner;
    private final AccessLogLine line = new AccessLogLine();
    private final Runnable handOverTask = this::handOver;
    private Chunk chunk;
    /** The chunk holds lines: written by the owner once per chunk, so the writer knows whom to ask. */
    private volatile boolean pending;
    /** Written by the writer: hand the partial chunk over at the next line. */
    private volatile boolean handOverRequested;

    LineBuffer(AccessLogWriter writer, EventExecutor owner) {
        this.writer = writer;
        this.owner = owner;
        this.chunk = owner == null ? new Chunk(AccessLogWriter.CHUNK_BYTES) : writer.chunk();
    }

    boolean onEventLoop() {
        return owner != null;
    }

    /** Owner thread: formats the line for {@code request} and hands chunks over as they fill. */
    void append(RequestRecord request, long nowMillis) {
        int maxLength = AccessLogLine.maxLength(request);
        if (chunk.room() < maxLength) {
            handOver();
            if (chunk.room() < maxLength) { // longer than a chunk (huge URI or User-Agent): rare, gets its own
                Chunk own = new Chunk(maxLength);
                line.write(request, nowMillis, own);
                writer.offer(own);
                return;
            }
        }
        if (chunk.length == 0 && owner != null) {
            pending = true;
        }
        line.write(request, nowMillis, chunk);
        if (owner == null || handOverRequested) {
            handOver();
        }
    }

    /**
     * Gives the writer the lines written so far. Runs on the owner thread (or, at close, on the writer
     * once the owner has terminated: see {@link #collectAtClose}). A chunk the writer has no room for is
     * dropped (counted by the writer) and reused.
     */
    void handOver() {
        if (owner == null) {
            if (chunk.length > 0) {
                writer.offer(chunk.copy());
                chunk.clear();
            }
            return;
        }
        handOverRequested = false;
        if (chunk.length > 0) {
            if (writer.offer(chunk)) {
                chunk = writer.chunk();
            } else {
                chunk.clear();
            }
            pending = false;
        }
    }

    /**
     * Writer thread, every interval: asks for the partial chunk. The flag is enough for a loop that is
     * logging; one that left the flag unseen for a whole interval is idle, and gets a task.
     */
    void requestHandOver() {
        if (!pending) {
            return;
        }
        if (!handOverRequested) {
            handOverRequested = true;
        } else {
            execute();
        }
    }

    /**
     * Writer thread, at close: true once this buffer holds no lines. Normally the owner has stopped and
     * handed its chunk over as its thread-locals were removed. An owner that terminated without doing so
     * runs no more code, and its termination (a volatile state write, read by {@code isTerminated})
     * happens after its last line, so the writer may take the chunk itself. An owner still running is
     * sent a task, and the writer waits a little for it.
     */
    boolean collectAtClose() {
        if (!pending) {
            return true;
        }
        if (owner.isTerminated()) {
            handOver();
            return true;
        }
        execute();
        return false;
    }

    private void execute() {
        try {
            owner.execute(handOverTask);
        } catch (RejectedExecutionException e) {
            // shutting down: the loop hands over as it stops, or close takes the chunk once it has
        }
    }
}
