package dev.ballast.discovery.etcd;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ballast.core.endpoint.WatchTarget;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A member that accepts every watch and ends it at once, which a real etcd does not do on demand: a
 * stand-in for etcd's JSON gateway on loopback, answering reads of an empty prefix and ending each
 * watch stream right after its {@code created} message.
 */
class EtcdWatchBackoffTest {

    @Test
    void aWatchThatEndsRightAfterItWasCreatedIsRetriedWithGrowingPauses() throws Exception {
        List<Long> watchesAtNanos = new CopyOnWriteArrayList<>();
        HttpServer member = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        member.createContext("/v3/kv/range", exchange -> answer(exchange, "{\"header\":{\"revision\":\"5\"},\"count\":\"0\"}"));
        member.createContext("/v3/watch", exchange -> {
            watchesAtNanos.add(System.nanoTime());
            answer(exchange, "{\"result\":{\"header\":{\"revision\":\"5\"},\"created\":true}}\n");
        });
        member.start();
        URI url = URI.create("http://127.0.0.1:" + member.getAddress().getPort());
        try (EtcdWatch watch = EtcdWatch.ofPrefix(target(url), values -> { })) {
            watch.start();
            await().atMost(Duration.ofSeconds(20)).until(() -> watchesAtNanos.size() >= 6);
        } finally {
            member.stop(0);
        }
        // Pauses of 50–100, 100–200, 200–400, 400–800 and 800–1,600 ms after the first five ends: the
        // fifth is at least 800 ms. Were the pause reset by each created watch, every one would be 50–100.
        long fifthGapMillis = (watchesAtNanos.get(5) - watchesAtNanos.get(4)) / 1_000_000;
        assertThat(fifthGapMillis).isGreaterThanOrEqualTo(700);
    }

    @Test
    void aWatchThatStayedUpStartsThePausesFromTheShortestAgain() throws Exception {
        List<Long> watchesAtNanos = new CopyOnWriteArrayList<>();
        List<Long> endsAtNanos = new CopyOnWriteArrayList<>();
        HttpServer member = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        member.createContext("/v3/kv/range", exchange -> answer(exchange, "{\"header\":{\"revision\":\"5\"},\"count\":\"0\"}"));
        member.createContext("/v3/watch", exchange -> {
            watchesAtNanos.add(System.nanoTime());
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write("{\"result\":{\"header\":{\"revision\":\"5\"},\"created\":true}}\n"
                        .getBytes(StandardCharsets.UTF_8));
                out.flush();
                if (watchesAtNanos.size() == 5) {
                    Thread.sleep(600); // the fifth watch stays up past the (shortened) stable time
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            endsAtNanos.add(System.nanoTime());
        });
        member.start();
        URI url = URI.create("http://127.0.0.1:" + member.getAddress().getPort());
        try (EtcdWatch watch = EtcdWatch.ofPrefix(target(url), values -> { })
                .stableAfter(300)) {
            watch.start();
            await().atMost(Duration.ofSeconds(20)).until(() -> watchesAtNanos.size() >= 7);
        } finally {
            member.stop(0);
        }
        // After four quick ends the pause had grown to 800–1,600 ms; the fifth watch stayed up, so the
        // sixth comes after the shortest pause (50–100 ms) and the seventh after the next (100–200 ms).
        long afterTheStableOne = (watchesAtNanos.get(5) - endsAtNanos.get(4)) / 1_000_000;
        long theNext = (watchesAtNanos.get(6) - endsAtNanos.get(5)) / 1_000_000;
        long fourthGap = (watchesAtNanos.get(4) - watchesAtNanos.get(3)) / 1_000_000;
        assertThat(fourthGap).as("the pause before the fifth watch").isGreaterThanOrEqualTo(350);
        // Reset, the two pauses are 150–300 ms together; not reset, at least 800 + 1,600 ms, and at least
        // 400 + 400 ms even had the pause only stopped growing. The rest is room for a busy machine.
        assertThat(afterTheStableOne + theNext).as("the two pauses after the watch that stayed up").isLessThan(700);
    }

    private static WatchTarget target(URI url) {
        return new WatchTarget("test", List.of(url), 2_000, "/services/");
    }

    private static void answer(HttpExchange exchange, String json) throws IOException {
        exchange.getRequestBody().readAllBytes();
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
