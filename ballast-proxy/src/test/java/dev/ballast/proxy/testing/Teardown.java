package dev.ballast.proxy.testing;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What a test started (backends, proxies, load, sockets), closed after it, last started first: the
 * load before the proxy it drives, the proxy before the backends behind it. Every resource is
 * closed even when one fails to close; the first failure is thrown with the others suppressed.
 */
public final class Teardown implements AutoCloseable {

    private final Deque<AutoCloseable> started = new ArrayDeque<>();

    /** Registers {@code resource} and returns it, so a test can start and register in one line. */
    public <T extends AutoCloseable> T add(T resource) {
        started.push(resource);
        return resource;
    }

    @Override
    public void close() throws Exception {
        Exception first = null;
        AutoCloseable resource;
        while ((resource = started.poll()) != null) {
            try {
                resource.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
