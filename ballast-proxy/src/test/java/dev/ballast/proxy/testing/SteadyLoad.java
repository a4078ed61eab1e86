package dev.ballast.proxy.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A steady stream of {@code GET}s through the proxy from a few client threads, each on its own
 * keep-alive connection, as long as the test lets it run. Anything but a 200 is a failure the client
 * saw, kept with its reason; so is a connection the proxy closed or a read that timed out.
 */
public final class SteadyLoad implements AutoCloseable {

    private final InetSocketAddress proxy;
    private final String path;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicLong maxLatencyNanos = new AtomicLong();
    private final ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final ConcurrentHashMap<String, AtomicInteger> bodies = new ConcurrentHashMap<>();
    private volatile boolean running = true;

    private SteadyLoad(InetSocketAddress proxy, String path) {
        this.proxy = proxy;
        this.path = path;
    }

    /** Starts {@code clients} threads sending {@code GET path} back to back. */
    public static SteadyLoad start(InetSocketAddress proxy, String path, int clients) {
        SteadyLoad load = new SteadyLoad(proxy, path);
        for (int i = 0; i < clients; i++) {
            Thread thread = Thread.ofPlatform().name("steady-load-" + i).daemon().start(load::run);
            load.threads.add(thread);
        }
        return load;
    }

    private void run() {
        RawHttp client = null;
        while (running) {
            long started = System.nanoTime();
            try {
                if (client == null) {
                    client = RawHttp.connect(proxy).timeout(5_000);
                }
                RawHttp.Response response = client.send("GET " + path + " HTTP/1.1\r\nHost: load\r\n\r\n").read();
                if (response.status() != 200) {
                    failures.add(response.status() + " " + response.text().strip());
                } else {
                    bodies.computeIfAbsent(response.text(), k -> new AtomicInteger()).incrementAndGet();
                }
                if ("close".equalsIgnoreCase(response.header("connection"))) {
                    client.close();
                    client = null;
                }
            } catch (IOException e) {
                failures.add("client error: " + e);
                close(client);
                client = null;
            }
            requests.incrementAndGet();
            long latency = System.nanoTime() - started;
            latencies.add(latency);
            maxLatencyNanos.accumulateAndGet(latency, Math::max);
        }
        close(client);
    }

    private static void close(RawHttp client) {
        if (client != null) {
            try {
                client.close();
            } catch (IOException ignored) {
                // closing a socket that is gone already
            }
        }
    }

    /** Requests completed so far (answered or failed). */
    public int requests() {
        return requests.get();
    }

    /** What every failed request saw, in order of failure. */
    public List<String> failures() {
        return List.copyOf(failures);
    }

    /** How many 200 responses carried each body (the backends answer with their names). */
    public int served(String body) {
        AtomicInteger count = bodies.get(body);
        return count == null ? 0 : count.get();
    }

    public long maxLatencyMillis() {
        return TimeUnit.NANOSECONDS.toMillis(maxLatencyNanos.get());
    }

    /** The latency under which {@code percent} of the requests completed, nearest rank. */
    public long latencyPercentileMillis(double percent) {
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(percent / 100 * sorted.length);
        return TimeUnit.NANOSECONDS.toMillis(sorted[Math.clamp(rank - 1, 0, sorted.length - 1)]);
    }

    /** Stops the clients and waits for their last requests. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Thread thread : threads) {
            thread.join(10_000);
        }
    }
}
