package dev.ballast.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Two connections joined byte for byte after a 101 Switching Protocols (WebSocket, or any other
 * protocol the client and upstream agreed on): the HTTP codecs leave both pipelines and each side's
 * reads are written to the other as they come.
 *
 * <p>Flow control as for bodies: a side is read again only while the other can take more, so a slow
 * reader holds back its peer instead of filling the proxy's memory. A side that finishes sending
 * (half-closes) has its FIN passed on once what it sent is flushed, and the other direction goes on
 * until it finishes too, as TCP itself allows. When either side closes or fails, the other is closed
 * once what was already read is flushed to it. Both connections are on the same event loop, so
 * nothing here needs synchronising.
 */
final class Tunnel {

    /** Told once, when the tunnel has closed, with the bytes relayed each way. */
    interface Listener {
        void closed(long bytesFromClient, long bytesToClient);
    }

    private static final Logger log = LoggerFactory.getLogger(Tunnel.class);
    /**
     * How long a tunnel lives on once one side has finished sending: time for the other to answer and
     * finish, not for a peer that ignores the FIN to hold the endpoint's slot until tunnel_idle_timeout.
     */
    private static final long HALF_CLOSED_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final Channel client;
    private final Channel upstream;
    private final ClientTimeouts timeouts;
    private final Listener listener;
    private long bytesFromClient;
    private long bytesToClient;
    private boolean clientFinished;
    private boolean upstreamFinished;
    private boolean closed;
    /** Ends a half-closed tunnel whose other side never finishes; cancelled when the tunnel closes first. */
    private ScheduledFuture<?> halfClosedLimit;

    private Tunnel(Channel client, Channel upstream, ClientTimeouts timeouts, Listener listener) {
        this.client = client;
        this.upstream = upstream;
        this.timeouts = timeouts;
        this.listener = listener;
    }

    /**
     * Replaces {@code frontend}'s handler and codec with the client side of a tunnel, and the upstream
     * connection's with the other side. Both encoders leave first (the 101 is encoded already); then
     * each decoder, as it leaves, hands the tunnel the bytes it had read but not decoded (the first
     * frames of the new protocol may come in the same read as the 101), so nothing is lost.
     */
    static void open(ChannelHandlerContext frontend, Channel upstream, ClientTimeouts timeouts, Listener listener) {
        Channel client = frontend.channel();
        // A FIN from either side is then an event, not a close: the other direction may still be talking.
        client.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        upstream.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        Tunnel tunnel = new Tunnel(client, upstream, timeouts, listener);
        ChannelPipeline clientPipeline = client.pipeline();
        ChannelPipeline upstreamPipeline = upstream.pipeline();
        clientPipeline.get(HttpServerCodec.class).removeOutboundHandler();
        UpstreamCodec.removeEncoder(upstreamPipeline);
        clientPipeline.replace(frontend.handler(), "tunnel", tunnel.new Side(upstream, true));
        upstreamPipeline.replace(BackendHandler.class, "tunnel", tunnel.new Side(client, false));
        clientPipeline.remove(HttpServerCodec.class);
        UpstreamCodec.removeDecoder(upstreamPipeline);
        timeouts.tunnelOpened();
        client.flush(); // the 101, and anything a decoder handed over
        upstream.flush();
        client.read();
        upstream.read();
    }

    private void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (halfClosedLimit != null) {
            halfClosedLimit.cancel(false); // else the task would hold both channels for up to a minute
        }
        // Accounted for before either connection closes, so no one who sees them closed sees it in flight.
        listener.closed(bytesFromClient, bytesToClient);
        closeAfterFlush(client);
        closeAfterFlush(upstream);
    }

    /**
     * Closes {@code channel} once what it still has to send is flushed, or after {@code
     * client_stall_timeout} if its peer takes none of it: an upstream that stopped reading would
     * otherwise hold its connection, and its slot under the limits, for ever.
     */
    private void closeAfterFlush(Channel channel) {
        if (!channel.isActive()) {
            channel.close();
            return;
        }
        long limit = timeouts.stallTimeoutNanos();
        if (limit > 0) {
            ScheduledFuture<?> late = channel.eventLoop().schedule((Runnable) channel::close, limit, TimeUnit.NANOSECONDS);
            channel.closeFuture().addListener(closed -> late.cancel(false));
        }
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    /** One side sent its FIN: pass it on once what it sent is flushed; close when both sides have. */
    private void finished(boolean fromClient, Channel peer) {
        if (fromClient) {
            clientFinished = true;
        } else {
            upstreamFinished = true;
        }
        if (closed) {
            return;
        }
        if (clientFinished && upstreamFinished) {
            close();
        } else if (peer instanceof DuplexChannel duplex && duplex.isActive()) {
            duplex.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> duplex.shutdownOutput());
            long idle = timeouts.tunnelIdleTimeoutNanos();
            halfClosedLimit = client.eventLoop().schedule(this::close, idle > 0
                    ? Math.min(idle, HALF_CLOSED_LIMIT_NANOS) : HALF_CLOSED_LIMIT_NANOS, TimeUnit.NANOSECONDS);
        } else {
            close();
        }
    }

    /** One end of the tunnel: relays what its channel reads to {@code peer}. */
    private final class Side extends ChannelInboundHandlerAdapter {

        private final Channel peer;
        private final boolean fromClient;

        Side(Channel peer, boolean fromClient) {
            this.peer = peer;
            this.fromClient = fromClient;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (closed || !(msg instanceof ByteBuf bytes)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (fromClient) {
                bytesFromClient += bytes.readableBytes();
            } else {
                bytesToClient += bytes.readableBytes();
                timeouts.tunnelActive(); // the client's own reads reset the idle clock as they pass it
            }
            peer.write(bytes, peer.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            peer.flush();
            if (!closed && peer.isWritable()) {
                ctx.read();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (!closed && ctx.channel().isWritable()) {
                peer.read(); // the peer was held back while this side's buffer was full
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event == ChannelInputShutdownEvent.INSTANCE) {
                finished(fromClient, peer);
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof IOException) {
                log.debug("{}: tunnel connection failed: {}", ctx.channel(), cause.toString());
            } else {
                log.warn("{}: closing tunnel after an unexpected error: {}", ctx.channel(), cause.toString());
            }
            ctx.close();
            close();
        }
    }
}
