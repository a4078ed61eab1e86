package dev.ballast.proxy.accesslog;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class AccessLogWriterTest {

    @Test
    void writesLinesInOrderOffTheCallersThread() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AccessLogWriter writer = AccessLogWriter.start(out, false, 100);
        for (int i = 0; i < 50; i++) {
            assertThat(writer.offer("line " + i + "\n")).isTrue();
        }
        writer.close();

        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(50);
        assertThat(lines[0]).isEqualTo("line 0");
        assertThat(lines[49]).isEqualTo("line 49");
        assertThat(writer.dropped()).isZero();
    }

    @Test
    void dropsAndCountsLinesWhenTheWriterCannotKeepUp() throws Exception {
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        OutputStream stuck = new OutputStream() {
            @Override
            public void write(int b) {
                written.write(b);
            }

            @Override
            public void write(byte[] bytes, int off, int len) {
                writing.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS); // a disk that stalls
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                written.write(bytes, off, len);
            }
        };
        AccessLogWriter writer = AccessLogWriter.start(stuck, false, 10);
        writer.offer("first\n");
        assertThat(writing.await(5, TimeUnit.SECONDS)).isTrue();

        int accepted = 0;
        for (int i = 0; i < 25; i++) {
            accepted += writer.offer("queued " + i + "\n") ? 1 : 0;
        }

        assertThat(accepted).isEqualTo(10);
        assertThat(writer.dropped()).isEqualTo(15);
        release.countDown();
        writer.close();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(written.toString(StandardCharsets.UTF_8).split("\n")).hasSize(11));
    }
}
