package dev.ballast.proxy.accesslog;

/**
 * Whole access log lines as UTF-8 bytes. Owned by one thread at a time: the line buffer's thread
 * fills it, then hands it to the writer through a queue (which orders the two), and the writer gives
 * it back empty through the pool.
 */
final class Chunk {

    final byte[] bytes;
    int length;
    /** Lines in {@link #bytes}: what is counted as dropped if the chunk is. */
    int lines;

    Chunk(int capacity) {
        this.bytes = new byte[capacity];
    }

    int room() {
        return bytes.length - length;
    }

    void clear() {
        length = 0;
        lines = 0;
    }

    /** An exact-size copy, for a thread that keeps its own chunk. */
    Chunk copy() {
        Chunk copy = new Chunk(length);
        System.arraycopy(bytes, 0, copy.bytes, 0, length);
        copy.length = length;
        copy.lines = lines;
        return copy;
    }
}
