package dev.ballast.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Looks at a client connection's first byte, then leaves the pipeline. A TLS client (an
 * {@code https://} URL pointed at this plain-HTTP listener) opens with a handshake record, content
 * type 22, which no HTTP request starts with; the HTTP decoder then refuses the bytes with a message
 * about line endings. Noting it lets the 400 and its log line say what happened instead.
 */
final class TlsSniffer extends ChannelInboundHandlerAdapter {

    private static final byte TLS_HANDSHAKE = 22;

    private final FrontendHandler frontend;

    TlsSniffer(FrontendHandler frontend) {
        this.frontend = frontend;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf bytes && bytes.isReadable()) {
            if (bytes.getByte(bytes.readerIndex()) == TLS_HANDSHAKE) {
                frontend.tlsHandshakeSeen();
            }
            ctx.pipeline().remove(this);
        }
        ctx.fireChannelRead(msg);
    }
}
