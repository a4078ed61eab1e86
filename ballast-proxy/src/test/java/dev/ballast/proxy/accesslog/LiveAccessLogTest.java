package dev.ballast.proxy.accesslog;

import dev.ballast.proxy.config.AccessLogConfig;
import dev.ballast.proxy.http.RequestObserver;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static dev.ballast.proxy.http.RequestRecords.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@link LiveAccessLog}: switching logs under event loops that keep logging. */
class LiveAccessLogTest {

    private static final AccessLogConfig FIRST = new AccessLogConfig(true, "first.log", 1.0);
    private static final AccessLogConfig SECOND = new AccessLogConfig(true, "second.log", 1.0);

    private final DefaultEventLoopGroup loops = new DefaultEventLoopGroup(2);
    private final ExecutorService control = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop() {
        loops.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        control.shutdownNow();
    }

    /** Waits until every loop has run what was queued before, then the control thread too (its switches). */
    private void settle() throws Exception {
        for (EventExecutor loop : loops) {
            loop.submit(() -> { }).get(10, TimeUnit.SECONDS);
        }
        control.submit(() -> { }).get(5, TimeUnit.SECONDS);
    }

    private static long lines(ByteArrayOutputStream out) {
        return out.toString(StandardCharsets.UTF_8).lines().count();
    }

    @Test
    void everyLineLoggedAroundASwitchLandsInExactlyOneLog() throws Exception {
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        ByteArrayOutputStream second = new ByteArrayOutputStream();
        LiveAccessLog live = new LiveAccessLog(FIRST, AccessLog.start(first, false, AccessLog.QUEUE_BYTES, 1.0),
                loops);
        RequestObserver observer = live.observer();
        int perLoop = 500;
        for (EventExecutor loop : loops) {
            loop.execute(() -> {
                for (int i = 0; i < perLoop; i++) {
                    observer.completed(request().uri("/" + i).build());
                }
            });
        }

        control.submit(() -> live.switchTo(SECOND,
                AccessLog.start(second, false, AccessLog.QUEUE_BYTES, 1.0))).get(5, TimeUnit.SECONDS);
        for (EventExecutor loop : loops) {
            loop.execute(() -> {
                for (int i = 0; i < perLoop; i++) {
                    observer.completed(request().uri("/after/" + i).build());
                }
            });
        }
        settle();
        await().atMost(Duration.ofSeconds(5)).until(() -> !live.closingOld());
        assertThat(live.config()).isEqualTo(SECOND);
        loops.shutdownGracefully(0, 0, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS);
        live.close();

        assertThat(lines(first) + lines(second)).isEqualTo(4L * perLoop);
        assertThat(first.toString(StandardCharsets.UTF_8)).as("logged after the switch").doesNotContain("/after/");
        assertThat(second.toString(StandardCharsets.UTF_8).lines().filter(line -> line.contains("/after/")))
                .hasSize(2 * perLoop);
        assertThat(live.dropped()).isZero();
    }

    @Test
    void theDroppedCountKeepsTheLinesOfEveryLogItSwitchedAwayFrom() throws Exception {
        StallingOutput stuck = new StallingOutput();
        AccessLog stalled = AccessLog.start(stuck, false, 2L * AccessLogWriter.CHUNK_BYTES, 1.0);
        LiveAccessLog live = new LiveAccessLog(FIRST, stalled, loops);
        RequestObserver observer = live.observer();
        loops.next().submit(() -> {
            for (int i = 0; i < 3_000; i++) { // some 11 chunks of lines: the stalled writer holds 2
                observer.completed(request().uri("/" + i).build());
            }
        }).get(10, TimeUnit.SECONDS);
        long beforeSwitch = live.dropped();
        assertThat(beforeSwitch).isPositive();

        control.submit(() -> live.switchTo(SECOND, AccessLog.start(new ByteArrayOutputStream(), false,
                AccessLog.QUEUE_BYTES, 1.0))).get(5, TimeUnit.SECONDS);
        assertThat(live.dropped()).as("while the old log finishes").isGreaterThanOrEqualTo(beforeSwitch);
        settle(); // every loop handed its lines over: the old log is being closed, on its stalled disk
        assertThat(live.closingOld()).isTrue();
        control.submit(() -> { }).get(1, TimeUnit.SECONDS); // meanwhile the control thread is free
        stuck.release();
        settle();
        await().atMost(Duration.ofSeconds(5)).until(() -> !live.closingOld());

        assertThat(live.dropped()).as("once it is closed")
                .isEqualTo(stalled.dropped())
                .isGreaterThanOrEqualTo(beforeSwitch);
        live.close();
    }
}
