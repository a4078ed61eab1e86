package dev.ballast.proxy.upstream;

import dev.ballast.core.state.EndpointState;
import io.netty.channel.Channel;

/**
 * One keep-alive connection to one endpoint, owned by the pool of its event loop. Not thread-safe:
 * used only on {@link Channel#eventLoop()}.
 */
public final class UpstreamConnection {

    private final Channel channel;
    private final EndpointState endpoint;
    final EndpointPool pool;
    /** The pool's address generation when this connection was opened: an older one is not reused. */
    final int addressGeneration;
    long idleSinceNanos;
    private int exchanges;

    /** {@code addressGeneration}: the pool's when the connect started, so a connect that raced a change is not reused. */
    UpstreamConnection(Channel channel, EndpointState endpoint, EndpointPool pool, int addressGeneration) {
        this.channel = channel;
        this.endpoint = endpoint;
        this.pool = pool;
        this.addressGeneration = addressGeneration;
    }

    public Channel channel() {
        return channel;
    }

    public EndpointState endpoint() {
        return endpoint;
    }

    /**
     * True when an earlier exchange already used this connection: the server may have closed it
     * while it sat idle, so a failure before any response byte does not mean the endpoint is down.
     */
    public boolean isReused() {
        return exchanges > 1;
    }

    void startExchange() {
        exchanges++;
    }

    @Override
    public String toString() {
        return "UpstreamConnection[" + endpoint.address() + ", " + channel.id().asShortText() + "]";
    }
}
