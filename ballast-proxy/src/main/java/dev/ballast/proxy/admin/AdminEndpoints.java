package dev.ballast.proxy.admin;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.nio.charset.StandardCharsets;

/**
 * The admin listener's HTTP surface. For now only {@code GET /healthz} (200 "ok" while the process
 * serves); metrics, status and reload come with their issues. Admin requests are tiny, so they are
 * aggregated and answered whole.
 */
public final class AdminEndpoints {

    private static final int MAX_REQUEST = 64 * 1024;

    private AdminEndpoints() {
    }

    /** The child handler of the admin listener (auto-read on: it is not on the data path). */
    public static ChannelHandler initializer() {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel channel) {
                channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(MAX_REQUEST), new Handler());
            }
        };
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            if (request.decoderResult().isFailure()) {
                write(ctx, request, HttpResponseStatus.BAD_REQUEST, "bad request\n");
                return;
            }
            String path = new QueryStringDecoder(request.uri()).path();
            if (path.equals("/healthz")) {
                if (request.method().equals(HttpMethod.GET) || request.method().equals(HttpMethod.HEAD)) {
                    write(ctx, request, HttpResponseStatus.OK, "ok\n");
                } else {
                    write(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, "use GET /healthz\n");
                }
                return;
            }
            write(ctx, request, HttpResponseStatus.NOT_FOUND, "no admin endpoint " + path + "\n");
        }

        private static void write(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
                                  String text) {
            ByteBuf body = ctx.alloc().buffer(text.length());
            body.writeCharSequence(text, StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            boolean keepAlive = HttpUtil.isKeepAlive(request) && request.decoderResult().isSuccess();
            if (keepAlive) {
                ctx.writeAndFlush(response, ctx.voidPromise());
            } else {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
