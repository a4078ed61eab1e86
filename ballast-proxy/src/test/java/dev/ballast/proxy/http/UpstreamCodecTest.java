package dev.ballast.proxy.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class UpstreamCodecTest {

    private final EmbeddedChannel upstream = new EmbeddedChannel();
    private final UpstreamCodec.ResponseDecoder decoder;
    /** What the decoder said of the bytes behind each response, asked as its end is handed on (as the exchange asks). */
    private final List<Boolean> beyondEachResponse = new ArrayList<>();

    UpstreamCodecTest() {
        decoder = UpstreamCodec.addTo(upstream.pipeline(), new HttpDecoderConfig().setValidateHeaders(false));
        upstream.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof LastHttpContent) {
                    beyondEachResponse.add(decoder.hasBytesBeyondTheResponse());
                }
                ctx.fireChannelRead(msg);
            }
        });
    }

    @AfterEach
    void tearDown() {
        upstream.finishAndReleaseAll();
    }

    @Test
    void aResponseToHeadHasNoBodyWhateverItsContentLengthSays() {
        send(HttpMethod.HEAD);
        List<Object> head = receive("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n");
        send(HttpMethod.GET);
        List<Object> get = receive("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");

        assertThat(head).hasSize(2).last().isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(bodyOf(get)).isEqualTo("hi");
    }

    @Test
    void tellsOfBytesBehindAResponseThatHasNoBodyAndDropsThemWithTheConnection() {
        send(HttpMethod.HEAD);
        List<Object> head = receive("HTTP/1.1 200 OK\r\nContent-Length: 26\r\n\r\nHTTP/1.1 200 OK\r\nX-Poison: 1");

        assertThat(head).hasSize(2);
        assertThat(beyondEachResponse).containsExactly(true);
        assertThat(upstream.isOpen()).as("bytes no request asked for close the connection").isFalse();
    }

    @Test
    void aCleanResponseLeavesNothingBehindAndTheConnectionOpen() {
        send(HttpMethod.GET);
        receive("HTTP/1.1 304 Not Modified\r\nContent-Length: 12\r\n\r\n");
        send(HttpMethod.GET);
        List<Object> get = receive("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");

        assertThat(bodyOf(get)).isEqualTo("hi");
        // The 100's end has the final answer behind it, read at once; the exchange never asks there.
        assertThat(beyondEachResponse).containsExactly(false, true, false);
        assertThat(upstream.isOpen()).isTrue();
    }

    @Test
    void lineEndsAfterABodyAreNoStrayBytes() {
        send(HttpMethod.GET);
        List<Object> get = receive("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi\r\n");
        receive("\r\n");

        assertThat(bodyOf(get)).isEqualTo("hi");
        assertThat(beyondEachResponse).containsExactly(false);
        assertThat(upstream.isOpen()).isTrue();
    }

    @Test
    void bytesWhileNoRequestIsOutstandingCloseTheConnection() {
        send(HttpMethod.GET);
        receive("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
        assertThat(upstream.isOpen()).isTrue();

        List<Object> stray = receive("HTTP/1.1 200 OK\r\nSet-Cookie: s");

        assertThat(stray).isEmpty();
        assertThat(upstream.isOpen()).isFalse();
    }

    @Test
    void anInterimAnswerLeavesTheMethodToTheFinalAnswer() {
        send(HttpMethod.HEAD);
        List<Object> messages = receive("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n");

        assertThat(messages).hasSize(4);
        assertThat(((HttpResponse) messages.get(0)).status().code()).isEqualTo(103);
        assertThat(((HttpResponse) messages.get(2)).status().code()).isEqualTo(200);
        assertThat(messages.get(3)).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    @Test
    void commonHeaderNamesAreSharedConstantsInTheCaseTheUpstreamWroteThem() {
        send(HttpMethod.GET);
        HttpResponse first = (HttpResponse) receive("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                + "content-length: 0\r\nX-Odd-Name: 1\r\n\r\n").get(0);
        send(HttpMethod.GET);
        HttpResponse second = (HttpResponse) receive("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                + "content-length: 0\r\nX-Odd-Name: 2\r\n\r\n").get(0);

        List<CharSequence> firstNames = names(first);
        List<CharSequence> secondNames = names(second);
        assertThat(firstNames).map(CharSequence::toString)
                .containsExactly("Content-Type", "content-length", "X-Odd-Name");
        assertThat(secondNames.get(0)).isSameAs(firstNames.get(0));
        assertThat(secondNames.get(1)).isSameAs(firstNames.get(1));
        assertThat(secondNames.get(2)).isNotSameAs(firstNames.get(2)); // not a known name: decoded afresh
        assertThat(first.headers().get("content-type")).isEqualTo("text/plain"); // look-ups ignore case as before
    }

    @Test
    void aNameMatchesOnlyByteForByte() {
        assertThat(find("Content-Type")).hasToString("Content-Type");
        assertThat(find("CONTENT-TYPE")).isNull();
        assertThat(find("Content-Typo")).isNull();
        assertThat(find("Dat")).isNull();
        assertThat(find("A-Header-Name-Longer-Than-Any-Known-One")).isNull();
        assertThat(find("")).isNull();
    }

    private void send(HttpMethod method) {
        upstream.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, "/"));
        ReferenceCountUtil.release(upstream.readOutbound());
    }

    private List<Object> receive(String bytes) {
        upstream.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.US_ASCII));
        List<Object> messages = new ArrayList<>();
        for (Object message; (message = upstream.readInbound()) != null; ) {
            messages.add(message);
        }
        return messages;
    }

    private static String bodyOf(List<Object> messages) {
        StringBuilder body = new StringBuilder();
        for (Object message : messages) {
            if (message instanceof HttpContent content) {
                body.append(content.content().toString(StandardCharsets.US_ASCII));
                content.release();
            }
        }
        return body.toString();
    }

    private static List<CharSequence> names(HttpResponse response) {
        List<CharSequence> names = new ArrayList<>();
        var entries = response.headers().iteratorCharSequence();
        while (entries.hasNext()) {
            Map.Entry<CharSequence, CharSequence> entry = entries.next();
            names.add(entry.getKey());
        }
        return names;
    }

    private static CharSequence find(String name) {
        byte[] padded = (">" + name + "<").getBytes(StandardCharsets.US_ASCII);
        return ResponseHeaderNames.find(padded, 1, name.length());
    }
}
