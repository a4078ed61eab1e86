package dev.ballast.proxy.testing;

import dev.ballast.proxy.ProxyServer;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Holds a proxy's control path, so that whatever runs there (a drain, a reload, a health check) waits
 * until {@link #release()}; released on close, and after 10 s whatever happens.
 */
public final class ControlPathHold implements AutoCloseable {

    private final CountDownLatch released = new CountDownLatch(1);

    private ControlPathHold() {
    }

    /** Returns once the control path is held. */
    public static ControlPathHold of(ProxyServer proxy) throws InterruptedException {
        ControlPathHold hold = new ControlPathHold();
        CountDownLatch holding = new CountDownLatch(1);
        proxy.controlPath().execute(() -> {
            holding.countDown();
            try {
                hold.released.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        if (!holding.await(10, TimeUnit.SECONDS)) {
            throw new AssertionError("the control path was not free within 10 s");
        }
        return hold;
    }

    public void release() {
        released.countDown();
    }

    @Override
    public void close() {
        release();
    }
}
