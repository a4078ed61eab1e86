package dev.ballast.proxy.accesslog;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A disk that stalls: every block write waits (up to 10 s) until {@link #release}, then keeps the bytes. */
final class StallingOutput extends OutputStream {

    private final CountDownLatch writing = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);
    private final ByteArrayOutputStream written = new ByteArrayOutputStream();

    @Override
    public void write(int b) {
        written.write(b);
    }

    @Override
    public void write(byte[] bytes, int off, int len) {
        writing.countDown();
        try {
            released.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        written.write(bytes, off, len);
    }

    /** True once a block write has started (and stalls), within 5 s. */
    boolean awaitWriting() throws InterruptedException {
        return writing.await(5, TimeUnit.SECONDS);
    }

    void release() {
        released.countDown();
    }

    ByteArrayOutputStream written() {
        return written;
    }

    String text() {
        return written.toString(StandardCharsets.UTF_8);
    }
}
