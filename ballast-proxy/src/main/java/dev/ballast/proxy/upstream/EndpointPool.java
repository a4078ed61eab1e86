package dev.ballast.proxy.upstream;

import dev.ballast.core.state.EndpointState;

import io.netty.channel.ChannelFuture;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The idle connections one event loop keeps to one endpoint. Idle connections are a LIFO stack:
 * the most recently used (warm) one is handed out first and the oldest sit at the bottom, where the
 * idle sweep finds them. Only the event loop touches it; {@code open} is shared by every loop,
 * because {@code max_connections_per_endpoint} bounds the whole process.
 */
final class EndpointPool {

    final EndpointState endpoint;
    /** Where new connections go: the endpoint's host as last resolved. */
    private InetSocketAddress address;
    /** Bumped when the address changes, so connections to the old one are not reused. */
    private int addressGeneration;
    private final AtomicInteger open;
    private final ArrayDeque<UpstreamConnection> idle = new ArrayDeque<>();
    /** The endpoint left its upstream: connections in use close when their request ends. */
    private boolean retired;

    EndpointPool(EndpointState endpoint, InetSocketAddress address, AtomicInteger open) {
        this.endpoint = endpoint;
        this.address = address;
        this.open = open;
    }

    InetSocketAddress address() {
        return address;
    }

    int addressGeneration() {
        return addressGeneration;
    }

    /**
     * The endpoint's host name now resolves to {@code newAddress}: new connections go there, idle ones
     * to the old address close, and busy ones close when their request ends.
     */
    void readdress(InetSocketAddress newAddress) {
        if (newAddress.equals(address)) {
            return;
        }
        address = newAddress;
        addressGeneration++;
        closeAll();
    }

    /** True when {@code connection} was opened to the current address. */
    boolean isCurrent(UpstreamConnection connection) {
        return connection.addressGeneration == addressGeneration;
    }

    /** The most recently used idle connection that is still open, or null. */
    UpstreamConnection pollIdle() {
        UpstreamConnection connection;
        while ((connection = idle.pollFirst()) != null) {
            if (connection.channel().isActive()) {
                return connection;
            }
        }
        return null;
    }

    /** Keeps a connection for reuse; false when {@code maxIdle} are kept already (the caller closes it). */
    boolean offer(UpstreamConnection connection, int maxIdle, long nowNanos) {
        if (retired || idle.size() >= maxIdle) {
            return false;
        }
        connection.idleSinceNanos = nowNanos;
        idle.addFirst(connection);
        return true;
    }

    /** Counts a connection about to be opened, unless {@code limit} are open already. */
    boolean tryReserve(int limit) {
        int current;
        do {
            current = open.get();
            if (current >= limit) {
                return false;
            }
        } while (!open.compareAndSet(current, current + 1));
        return true;
    }

    /** A reserved connection failed to open, or an open one closed. */
    void unreserve() {
        open.decrementAndGet();
    }

    void closed(UpstreamConnection connection) {
        idle.remove(connection);
        unreserve();
    }

    /** Closes the connections idle since before {@code cutoffNanos}, oldest first. */
    void closeIdleSince(long cutoffNanos) {
        UpstreamConnection oldest;
        while ((oldest = idle.peekLast()) != null && oldest.idleSinceNanos - cutoffNanos < 0) {
            idle.pollLast();
            oldest.channel().close();
        }
    }

    void retire() {
        retired = true;
        closeAll();
    }

    /** True when an idle connection is kept (it may have closed meanwhile: it still holds its slot until then). */
    boolean hasIdle() {
        return !idle.isEmpty();
    }

    /** Closes the idle connection unused longest; call only when {@link #hasIdle()}. */
    ChannelFuture closeOldestIdle() {
        return idle.pollLast().channel().close();
    }

    void closeAll() {
        UpstreamConnection connection;
        while ((connection = idle.pollFirst()) != null) {
            connection.channel().close();
        }
    }
}
