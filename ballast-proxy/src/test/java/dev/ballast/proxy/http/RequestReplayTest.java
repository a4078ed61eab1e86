package dev.ballast.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpContent;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RequestReplayTest {

    @Test
    void keepsABodyOfAFewLargePartsUpToTheLimit() {
        RequestReplay replay = new RequestReplay(64 * 1024);
        List<HttpContent> sent = parts(15, 4096);

        sent.forEach(replay::keep);

        assertThat(replay.intact()).isTrue();
        replay.release();
        sent.forEach(HttpContent::release);
        assertThat(sent).allSatisfy(part -> assertThat(part.refCnt()).isZero());
    }

    @Test
    void aBodyOfTinyPartsCountsWhatEachPartCostsAndStopsBeingKeptLongBeforeItsBytesReachTheLimit() {
        RequestReplay replay = new RequestReplay(64 * 1024);
        // 1,000 one-byte chunks: 1 KB of body, about 100 KB of parts and buffer views on the heap.
        List<HttpContent> sent = parts(1_000, 1);

        sent.forEach(replay::keep);

        assertThat(replay.intact()).as("not retried: keeping it would cost far more than its bytes").isFalse();
        sent.forEach(HttpContent::release);
        assertThat(sent).as("nothing kept").allSatisfy(part -> assertThat(part.refCnt()).isZero());
    }

    private static List<HttpContent> parts(int count, int size) {
        List<HttpContent> parts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ByteBuf bytes = Unpooled.buffer(size).writeZero(size);
            parts.add(new DefaultHttpContent(bytes));
        }
        return parts;
    }
}
