package dev.ballast.proxy;

import dev.ballast.core.config.HostPort;
import dev.ballast.proxy.config.ListenerConfig;
import dev.ballast.proxy.config.ProxyConfig;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

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
        if (!sameListeners(running.listeners(), next.listeners())) {
            notes.add("listeners changed: restart to apply");
        }
        if (!sameSocket(running.admin().address(), next.admin().address())
                || !Objects.equals(running.admin().token(), next.admin().token())) {
            notes.add("admin changed: restart to apply");
        }
        if (!running.limits().equals(next.limits())) {
            notes.add("limits changed: restart to apply");
        }
        if (running.drainTimeoutMillis() != next.drainTimeoutMillis()) {
            notes.add("drain_timeout changed: restart to apply");
        }
        if (running.transport() != next.transport() && !Transport.chosenByProperty()) { // else the file's is not used
            notes.add("transport changed: restart to apply");
        }
        if (running.eventLoopCount() != next.eventLoopCount()) { // auto is one per core: 4 on four cores is no change
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

    private static boolean sameListeners(List<ListenerConfig> running, List<ListenerConfig> next) {
        if (running.size() != next.size()) {
            return false;
        }
        for (int i = 0; i < running.size(); i++) {
            if (!running.get(i).name().equals(next.get(i).name())
                    || !sameSocket(running.get(i).address(), next.get(i).address())) {
                return false;
            }
        }
        return true;
    }

    /**
     * The same socket, however spelled: host names compared without case, IP addresses by value
     * ({@code [::1]} and {@code [0:0:0:0:0:0:0:1]}). No name is looked up.
     */
    static boolean sameSocket(HostPort a, HostPort b) {
        if (a.port() != b.port()) {
            return false;
        }
        if (a.host().equalsIgnoreCase(b.host())) {
            return true;
        }
        InetAddress first = literal(a.host());
        return first != null && first.equals(literal(b.host()));
    }

    /** The address an IP literal spells, or null for a host name. */
    private static InetAddress literal(String host) {
        boolean ip = host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
        if (!ip) {
            return null;
        }
        try {
            return InetAddress.getByName(host); // a literal: parsed, never looked up
        } catch (UnknownHostException notAnAddress) {
            return null;
        }
    }

    /** {@code next} with the restart-only sections of {@code running}: what the proxy really runs. */
    static ProxyConfig effective(ProxyConfig running, ProxyConfig next) {
        return new ProxyConfig(running.listeners(), running.admin(), next.upstreams(), next.routes(),
                running.limits(), running.drainTimeoutMillis(), next.accessLog(), running.transport(),
                running.eventLoops(), next.via(), running.eventLoopSliceMicros(),
                running.eventLoopKernelSliceMicros());
    }
}
