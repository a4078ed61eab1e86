package dev.ballast.proxy.testing;

import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@link TestBackend} whose {@code /healthz} the test turns on and off: 200 while healthy, 503
 * while not. Every other path is answered with the backend's name, healthy or not, so only active
 * health checks can tell the difference.
 */
public final class HealthyBackend implements AutoCloseable {

    private final TestBackend backend;
    private final AtomicBoolean healthy = new AtomicBoolean(true);

    private HealthyBackend(String name) {
        this.backend = TestBackend.named(name);
        backend.respondWith((ctx, request) -> {
            if (request.uri().startsWith("/healthz")) {
                TestBackend.text(ctx, request, healthy.get() ? HttpResponseStatus.OK
                        : HttpResponseStatus.SERVICE_UNAVAILABLE, healthy.get() ? "ok" : "failing");
            } else {
                TestBackend.text(ctx, request, HttpResponseStatus.OK, name);
            }
        });
    }

    public static HealthyBackend start(String name) {
        return new HealthyBackend(name);
    }

    public TestBackend backend() {
        return backend;
    }

    public String name() {
        return backend.name();
    }

    public void healthy(boolean value) {
        healthy.set(value);
    }

    /** Requests other than health checks that reached this backend. */
    public long served() {
        return backend.requests().stream().filter(r -> !r.uri().startsWith("/healthz")).count();
    }

    @Override
    public void close() {
        backend.close();
    }
}
