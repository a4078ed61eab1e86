package dev.ballast.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * Looks at a client connection's first byte. A TLS client (an {@code https://} URL pointed at this
 * plain-HTTP listener) opens with a handshake record, content type 22, which no HTTP request starts
 * with: the frontend answers it at once and closes, and this handler drops whatever else arrives
 * meanwhile, so the HTTP decoder never reads TLS. Any other first byte: it leaves the pipeline.
 */
final class TlsSniffer extends ChannelInboundHandlerAdapter {

    private static final byte TLS_HANDSHAKE = 22;

    private final FrontendHandler frontend;
    private boolean tls;

    TlsSniffer(FrontendHandler frontend) {
        this.frontend = frontend;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (tls) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof ByteBuf bytes && bytes.isReadable()) {
            if (bytes.getByte(bytes.readerIndex()) == TLS_HANDSHAKE) {
                tls = true;
                bytes.release();
                frontend.tlsHandshakeSent();
                return;
            }
            ctx.pipeline().remove(this);
        }
        ctx.fireChannelRead(msg);
    }
}
