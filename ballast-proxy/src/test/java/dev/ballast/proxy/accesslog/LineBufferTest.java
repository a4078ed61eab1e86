package dev.ballast.proxy.accesslog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ballast.proxy.http.RequestObserver;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.ballast.proxy.http.RequestRecords.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Lines from event loops (Netty's {@link DefaultEventLoopGroup}) and plain threads, through {@link AccessLog}. */
class LineBufferTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** A partial chunk is written within about 60 ms; the rest is room for a busy build machine. */
    private static final Duration PROMPTLY = Duration.ofSeconds(2);

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private AccessLog log = AccessLog.start(out, false, AccessLog.QUEUE_BYTES, 1.0);
    private DefaultEventLoopGroup loops;

    @AfterEach
    void stop() {
        if (loops != null) {
            loops.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        }
        log.close();
    }

    private static List<JsonNode> lines(ByteArrayOutputStream written) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : written.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!line.isEmpty()) {
                lines.add(JSON.readTree(line)); // fails on a line split or interleaved with another
            }
        }
        return lines;
    }

    private static String userAgent(int thread, int i) {
        return "x".repeat((i * 37 + thread * 11) % 600);
    }

    @Test
    void linesFromSeveralThreadsNeverInterleaveOrSplit() throws Exception {
        int perThread = 2_000;
        RequestObserver observer = log.observer();
        loops = new DefaultEventLoopGroup(3);
        int thread = 0;
        for (EventExecutor loop : loops) {
            int t = thread++;
            for (int i = 0; i < perThread; i++) {
                int n = i;
                loop.execute(() -> observer.completed(request().uri("/t" + t + "/" + n).userAgent(userAgent(t, n)).build()));
            }
        }
        int plain = thread;
        Thread other = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < perThread; i++) {
                observer.completed(request().uri("/t" + plain + "/" + i).userAgent(userAgent(plain, i)).build());
            }
        });
        assertThat(other.join(Duration.ofSeconds(10))).as("the plain thread ended").isTrue();
        loops.shutdownGracefully(0, 0, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS);
        log.close();

        int[] next = new int[plain + 1];
        for (JsonNode line : lines(out)) {
            String[] path = line.get("path").asText().split("/");
            int t = Integer.parseInt(path[1].substring(1));
            int i = Integer.parseInt(path[2]);
            assertThat(i).as("line of thread %d", t).isEqualTo(next[t]++);
            assertThat(line.get("user_agent").asText()).isEqualTo(userAgent(t, i));
        }
        assertThat(next).containsOnly(perThread);
        assertThat(log.dropped()).isZero();
    }

    @Test
    void aPartialChunkReachesTheFileWithoutFurtherTraffic() throws Exception {
        RequestObserver observer = log.observer();
        loops = new DefaultEventLoopGroup(1);
        EventLoop loop = loops.next();

        loop.submit(() -> observer.completed(request().uri("/first").build())).get(10, TimeUnit.SECONDS);
        await().atMost(PROMPTLY).pollInterval(Duration.ofMillis(5)).until(() -> lines(out).size() == 1);
        loop.submit(() -> observer.completed(request().uri("/second").build())).get(10, TimeUnit.SECONDS);
        await().atMost(PROMPTLY).pollInterval(Duration.ofMillis(5)).until(() -> lines(out).size() == 2);

        assertThat(lines(out)).extracting(line -> line.get("path").asText()).containsExactly("/first", "/second");
    }

    @Test
    void aLineFromAThreadOutsideAnEventLoopReachesTheFilePromptly() {
        log.observer().completed(request().uri("/plain").build());

        await().atMost(PROMPTLY).pollInterval(Duration.ofMillis(5)).until(() -> lines(out).size() == 1);
    }

    @Test
    void closeWritesThePartialChunksOfEveryThread() throws Exception {
        RequestObserver observer = log.observer();
        loops = new DefaultEventLoopGroup(2);
        EventLoop stopped = loops.next();
        EventLoop running = loops.next();
        for (int i = 0; i < 5; i++) {
            int n = i;
            stopped.execute(() -> observer.completed(request().uri("/stopped/" + n).build()));
            running.execute(() -> observer.completed(request().uri("/running/" + n).build()));
        }
        stopped.shutdownGracefully(0, 0, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS); // hands its chunk over as it stops
        running.submit(() -> { }).get(10, TimeUnit.SECONDS);

        log.close(); // asks the running loop for its chunk

        assertThat(lines(out)).extracting(line -> line.get("path").asText()).containsExactlyInAnyOrder(
                "/stopped/0", "/stopped/1", "/stopped/2", "/stopped/3", "/stopped/4",
                "/running/0", "/running/1", "/running/2", "/running/3", "/running/4");
    }

    @Test
    void aLineLongerThanAChunkIsWrittenWholeAndInOrder() throws Exception {
        RequestObserver observer = log.observer();
        loops = new DefaultEventLoopGroup(1);
        String huge = "y".repeat(AccessLogWriter.CHUNK_BYTES + 1);

        loops.next().submit(() -> {
            observer.completed(request().uri("/before").build());
            observer.completed(request().uri("/huge").userAgent(huge).build());
            observer.completed(request().uri("/after").build());
        }).get(10, TimeUnit.SECONDS);
        loops.shutdownGracefully(0, 0, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS);
        log.close();

        List<JsonNode> lines = lines(out);
        assertThat(lines).extracting(line -> line.get("path").asText()).containsExactly("/before", "/huge", "/after");
        assertThat(lines.get(1).get("user_agent").asText()).isEqualTo(huge);
    }

    @Test
    void dropsAndCountsLinesWhenTheWriterCannotKeepUpWithoutBlockingTheLoop() throws Exception {
        StallingOutput stuck = new StallingOutput();
        log.close();
        log = AccessLog.start(stuck, false, 2L * AccessLogWriter.CHUNK_BYTES, 1.0);
        RequestObserver observer = log.observer();
        loops = new DefaultEventLoopGroup(1);
        int total = 3_000; // some 11 chunks of lines: the writer holds 2

        boolean done = loops.next().submit(() -> {
            for (int i = 0; i < total; i++) {
                observer.completed(request().uri("/" + i).build());
            }
        }).await(5, TimeUnit.SECONDS);

        assertThat(done).as("the loop never waits for the writer").isTrue();
        assertThat(log.dropped()).isPositive();
        stuck.release();
        loops.shutdownGracefully(0, 0, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS);
        log.close();
        assertThat(lines(stuck.written()).size() + log.dropped()).as("every line written or counted").isEqualTo(total);
    }
}
