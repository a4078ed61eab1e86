package dev.ballast.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.util.AsciiString;

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

    /** Adds the decoder and the encoder, in that order, at the end of {@code pipeline}. */
    static void addTo(ChannelPipeline pipeline, HttpDecoderConfig config) {
        ResponseDecoder decoder = new ResponseDecoder(config);
        pipeline.addLast(decoder, new RequestEncoder(decoder));
    }

    /** Takes the encoder out of {@code pipeline}: a tunnel relays bytes from now on. */
    static void removeEncoder(ChannelPipeline pipeline) {
        pipeline.remove(RequestEncoder.class);
    }

    /** Takes the decoder out of {@code pipeline}; as it leaves, it hands on the bytes it had read but not decoded. */
    static void removeDecoder(ChannelPipeline pipeline) {
        pipeline.remove(ResponseDecoder.class);
    }

    /** Netty's response decoder, told by the encoder which method the response answers. */
    static final class ResponseDecoder extends HttpResponseDecoder {

        private HttpMethod method;

        ResponseDecoder(HttpDecoderConfig config) {
            super(config);
        }

        void requestSent(HttpMethod sent) {
            method = sent;
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

    /** Netty's request encoder, telling the decoder the method of each request it encodes. */
    static final class RequestEncoder extends HttpRequestEncoder {

        private final ResponseDecoder decoder;

        RequestEncoder(ResponseDecoder decoder) {
            this.decoder = decoder;
        }

        @Override
        protected void encodeInitialLine(ByteBuf buf, HttpRequest request) throws Exception {
            decoder.requestSent(request.method());
            super.encodeInitialLine(buf, request);
        }
    }
}
