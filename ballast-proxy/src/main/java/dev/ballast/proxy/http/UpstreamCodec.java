package dev.ballast.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The HTTP/1.1 codec of an upstream connection: Netty's request encoder and response decoder, paired
 * the way {@link io.netty.handler.codec.http.HttpClientCodec} pairs them (the decoder knows which
 * method each response answers, so a response to HEAD has no body whatever its Content-Length says),
 * with two differences that matter on every request:
 * <ul>
 *   <li>the response header names upstreams send on nearly every response come from
 *       {@link ResponseHeaderNames} instead of a fresh copy per response;</li>
 *   <li>two plain handlers instead of one combined handler, one pipeline hop less per read and write.</li>
 * </ul>
 * An upstream connection carries one request at a time (the pool hands it out again only after the
 * response ended), so the method of the request in progress is one field, not a queue; and never a
 * CONNECT (the frontend answers those itself), so no answer turns the connection into a tunnel.
 */
final class UpstreamCodec {

    private UpstreamCodec() {
    }

    /** Adds the decoder and the encoder, in that order, at the end of {@code pipeline}; returns the decoder. */
    static ResponseDecoder addTo(ChannelPipeline pipeline, HttpDecoderConfig config) {
        ResponseDecoder decoder = new ResponseDecoder(config);
        pipeline.addLast(decoder, new RequestEncoder(decoder));
        return decoder;
    }

    /** Takes the encoder out of {@code pipeline}: a tunnel relays bytes from now on. */
    static void removeEncoder(ChannelPipeline pipeline) {
        pipeline.remove(RequestEncoder.class);
    }

    /** Takes the decoder out of {@code pipeline}; as it leaves, it hands on the bytes it had read but not decoded. */
    static void removeDecoder(ChannelPipeline pipeline) {
        pipeline.remove(ResponseDecoder.class);
    }

    /**
     * Netty's response decoder, told by the encoder which method the response answers. It also guards
     * the pool against bytes no request asked for: a body after a response that has none by definition
     * (to HEAD, a 304 with a Content-Length), or anything sent while the connection is idle. Parsed
     * as the start of the next response, such bytes would be served to the next client whose request
     * takes this connection.
     */
    static final class ResponseDecoder extends HttpResponseDecoder {

        private HttpMethod method;
        /** A request was sent and its final response has not ended yet. */
        private boolean awaiting;
        private boolean interim;

        ResponseDecoder(HttpDecoderConfig config) {
            super(config);
        }

        void requestSent(HttpMethod sent) {
            method = sent;
            awaiting = true;
        }

        /**
         * True when bytes follow the response just ended: read at the same time, not yet decoded. Asked
         * when the response's end has been handed on, before the connection goes back to the pool.
         */
        boolean hasBytesBeyondTheResponse() {
            return actualReadableBytes() > 0 && !onlyLineEnds(internalBuffer());
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
            if (!awaiting) {
                boolean stray = !onlyLineEnds(buffer);
                buffer.skipBytes(buffer.readableBytes());
                if (stray) {
                    ctx.close(); // its exchange has gone; the pool drops the connection when it closes
                }
                return;
            }
            int before = out.size();
            super.decode(ctx, buffer, out);
            for (int i = before; i < out.size(); i++) {
                Object message = out.get(i);
                if (message instanceof HttpResponse response) {
                    interim = response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
                }
                if (message instanceof LastHttpContent && !interim) {
                    awaiting = false;
                }
            }
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage message) {
            HttpResponse response = (HttpResponse) message;
            if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                return super.isContentAlwaysEmpty(message); // an interim answer: the final one is still to come
            }
            HttpMethod answered = method;
            method = null;
            return HttpMethod.HEAD.equals(answered) || super.isContentAlwaysEmpty(message);
        }

        @Override
        protected AsciiString splitHeaderName(byte[] bytes, int start, int length) {
            AsciiString known = ResponseHeaderNames.find(bytes, start, length);
            return known != null ? known : super.splitHeaderName(bytes, start, length);
        }
    }

    /**
     * True when the readable bytes are only CR and LF, which decoders skip between messages: some
     * servers send them after a body, some clients after a request's (RFC 9112 §2.2).
     */
    static boolean onlyLineEnds(ByteBuf buffer) {
        for (int i = buffer.readerIndex(); i < buffer.writerIndex(); i++) {
            byte b = buffer.getByte(i);
            if (b != '\r' && b != '\n') {
                return false;
            }
        }
        return true;
    }

    /** Netty's request encoder, telling the decoder the method of each request it encodes. */
    static final class RequestEncoder extends HttpRequestEncoder {

        private static final int CRLF = ('\r' << 8) | '\n';

        private final ResponseDecoder decoder;

        RequestEncoder(ResponseDecoder decoder) {
            this.decoder = decoder;
        }

        /**
         * The request line as the client sent it. Netty's encoder writes the target as UTF-8, but the
         * decoder read it as ISO-8859-1 (one char per byte), so a raw non-ASCII byte would reach the
         * upstream as two: written back one byte per char, the target passes through unchanged. The
         * frontend made it origin-form or {@code *} and refused control characters.
         */
        @Override
        protected void encodeInitialLine(ByteBuf buf, HttpRequest request) {
            decoder.requestSent(request.method());
            ByteBufUtil.copy(request.method().asciiName(), buf);
            buf.writeByte(' ');
            buf.writeCharSequence(request.uri(), StandardCharsets.ISO_8859_1);
            buf.writeByte(' ');
            buf.writeCharSequence(request.protocolVersion().text(), StandardCharsets.US_ASCII);
            buf.writeShort(CRLF);
        }
    }
}
