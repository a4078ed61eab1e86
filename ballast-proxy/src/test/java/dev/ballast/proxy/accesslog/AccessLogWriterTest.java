package dev.ballast.proxy.accesslog;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class AccessLogWriterTest {

    private static final int CHUNK = AccessLogWriter.CHUNK_BYTES;

    /** A pool-size chunk holding {@code lines}. */
    private static Chunk chunk(String... lines) {
        Chunk chunk = new Chunk(CHUNK);
        for (String line : lines) {
            byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
            System.arraycopy(bytes, 0, chunk.bytes, chunk.length, bytes.length);
            chunk.length += bytes.length;
            chunk.lines++;
        }
        return chunk;
    }

    @Test
    void writesChunksInOrderOffTheCallersThreadAndCloseWritesWhatIsQueued() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AccessLogWriter writer = AccessLogWriter.start(out, false, 100L * CHUNK);
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            assertThat(writer.offer(chunk("line " + i + "a", "line " + i + "b"))).isTrue();
            expected.append("line ").append(i).append("a\nline ").append(i).append("b\n");
        }
        writer.close();

        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(expected.toString());
        assertThat(writer.dropped()).isZero();
    }

    @Test
    void recyclesWrittenChunks() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AccessLogWriter writer = AccessLogWriter.start(out, false, 10L * CHUNK);
        Chunk chunk = chunk("one");
        writer.offer(chunk);

        await().atMost(Duration.ofSeconds(5)).until(() -> writer.chunk() == chunk);

        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("one\n");
        assertThat(chunk.length).isZero();
        assertThat(chunk.lines).isZero();
        writer.close();
    }

    @Test
    void dropsAndCountsTheLinesOfChunksItHasNoRoomFor() throws Exception {
        StallingOutput stuck = new StallingOutput();
        AccessLogWriter writer = AccessLogWriter.start(stuck, false, 3L * CHUNK);
        writer.offer(chunk("first"));
        assertThat(stuck.awaitWriting()).isTrue();

        // the chunk being written still holds its memory: room for two more
        assertThat(writer.offer(chunk("a1", "a2"))).isTrue();
        assertThat(writer.offer(chunk("b1", "b2", "b3"))).isTrue();
        assertThat(writer.offer(chunk("c1", "c2", "c3", "c4"))).isFalse();
        assertThat(writer.offer(chunk("d1"))).isFalse();

        assertThat(writer.dropped()).isEqualTo(5);
        stuck.release();
        writer.close();
        assertThat(stuck.text()).isEqualTo("first\na1\na2\nb1\nb2\nb3\n");
    }
}
