package dev.ballast.proxy;

import dev.ballast.proxy.config.ProxyConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * The parts of a configuration a reload cannot change in a running proxy: sockets that are bound,
 * limits baked into accepted connections, the event loops and their transport. A reload keeps them as
 * they are, applies the rest, and says so.
 */
final class RestartRequired {

    private RestartRequired() {
    }

    /** One note per section that differs, e.g. "listeners changed: restart to apply". */
    static List<String> notes(ProxyConfig running, ProxyConfig next) {
        List<String> notes = new ArrayList<>();
        if (!running.listeners().equals(next.listeners())) {
            notes.add("listeners changed: restart to apply");
        }
        if (!running.admin().equals(next.admin())) {
            notes.add("admin changed: restart to apply");
        }
        if (!running.limits().equals(next.limits())) {
            notes.add("limits changed: restart to apply");
        }
        if (running.drainTimeoutMillis() != next.drainTimeoutMillis()) {
            notes.add("drain_timeout changed: restart to apply");
        }
        if (running.transport() != next.transport()) {
            notes.add("transport changed: restart to apply");
        }
        if (running.eventLoops() != next.eventLoops()) {
            notes.add("event_loops changed: restart to apply");
        }
        if (running.eventLoopSliceMicros() != next.eventLoopSliceMicros()) {
            notes.add("event_loop_slice changed: restart to apply");
        }
        if (running.eventLoopKernelSliceMicros() != next.eventLoopKernelSliceMicros()) {
            notes.add("event_loop_kernel_slice changed: restart to apply");
        }
        return notes;
    }

    /** {@code next} with the restart-only sections of {@code running}: what the proxy really runs. */
    static ProxyConfig effective(ProxyConfig running, ProxyConfig next) {
        return new ProxyConfig(running.listeners(), running.admin(), next.upstreams(), next.routes(),
                running.limits(), running.drainTimeoutMillis(), next.accessLog(), running.transport(),
                running.eventLoops(), next.via(), running.eventLoopSliceMicros(),
                running.eventLoopKernelSliceMicros());
    }
}
