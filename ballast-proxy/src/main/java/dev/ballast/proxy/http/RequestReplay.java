package dev.ballast.proxy.http;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;

import java.util.ArrayDeque;

/**
 * The request body parts already sent upstream, kept so that a retry can send them again. Holds
 * retained duplicates (no copy) up to a byte limit, each part counted with what it costs besides its
 * bytes; past it the kept parts are released at once and the request can no longer be retried once
 * its body went out, so a large upload never sits in memory for a retry that may not come.
 * Event-loop confined.
 */
final class RequestReplay {

    /**
     * What a kept part costs besides its bytes (the part and the buffer views that hold it): a body of
     * one-byte chunks would otherwise keep tens of thousands of parts, megabytes of heap, under a limit
     * meant for kilobytes.
     */
    static final int PART_OVERHEAD_BYTES = 96;

    private final long limit;
    private final ArrayDeque<HttpContent> parts = new ArrayDeque<>(4);
    private long bytes;
    private boolean overflowed;

    RequestReplay(long limit) {
        this.limit = limit;
    }

    /** Keeps {@code part}, which the caller is about to write (and so give away), unless over the limit. */
    void keep(HttpContent part) {
        if (overflowed) {
            return;
        }
        bytes += part.content().readableBytes() + PART_OVERHEAD_BYTES;
        if (bytes > limit) {
            overflowed = true;
            release();
            return;
        }
        parts.add(part.retainedDuplicate());
    }

    /** True while everything sent so far is kept. */
    boolean intact() {
        return !overflowed;
    }

    /** Writes every kept part to {@code channel} (without flushing), keeping them for another retry. */
    void writeTo(Channel channel) {
        for (HttpContent part : parts) {
            channel.write(part.retainedDuplicate(), channel.voidPromise());
        }
    }

    void release() {
        HttpContent part;
        while ((part = parts.poll()) != null) {
            part.release();
        }
    }
}
