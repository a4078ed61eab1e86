package dev.ballast.bench.client;

import com.sun.net.httpserver.HttpServer;
import dev.ballast.client.BallastClient;
import dev.ballast.client.CallListener;
import dev.ballast.client.ClientRequest;
import dev.ballast.client.ServiceConfig;
import dev.ballast.client.interceptor.Interceptors;
import dev.ballast.client.internal.Call;
import dev.ballast.client.internal.Channel;
import dev.ballast.core.pick.PickResult;
import dev.ballast.core.pick.Policies;
import dev.ballast.core.time.Scheduler;

import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * What {@code BallastClient} costs per call over a bare {@link HttpClient}, at a paced 1,000 calls/s to
 * one local endpoint (an in-process JDK {@code HttpServer} on 127.0.0.1): bare, client, and client with
 * three interceptors, interleaved call by call so drift hits all alike. Then the client's own work per
 * call without I/O (over a stub {@code HttpClient}), and the bytes the balancing step allocates.
 *
 * <p>Run: {@code java -cp ballast-bench/target/benchmarks.jar dev.ballast.bench.client.ClientOverhead [seconds-per-round] [rounds]}.
 */
public final class ClientOverhead {

    private static final int RATE = 1_000;
    private static final java.lang.management.ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    private ClientOverhead() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        ExecutorService serverThreads = Executors.newFixedThreadPool(2);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.setExecutor(serverThreads);
        server.start();
        String address = "127.0.0.1:" + server.getAddress().getPort();

        HttpClient bare = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        ServiceConfig service = ServiceConfig.builder("items").endpoints(address).balancer(Policies.LEAST_REQUEST).build();
        // One HttpClient under every variant: separate instances mean separate selector threads, and on a
        // busy 2-core machine where those threads land moves latency by more than the client costs.
        try (BallastClient plain = BallastClient.builder().service(service).httpClient(bare).build();
             BallastClient chained = withInterceptors(BallastClient.builder().service(service).httpClient(bare))) {
            ClientRequest request = ClientRequest.request("items").path("/v1/items/42");
            String target = "http://" + address + "/v1/items/42";
            String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
            // What an application does with a bare HttpClient: build the request for each call.
            Send bareCall = () -> bare.send(HttpRequest.newBuilder(URI.create(target)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            List<Variant> variants = List.of(
                    new Variant("bare HttpClient", bareCall),
                    new Variant("bare HttpClient again (A/A)", bareCall),
                    new Variant("bare + traceparent", () -> bare.send(HttpRequest.newBuilder(URI.create(target))
                            .header("traceparent", traceparent).build(), HttpResponse.BodyHandlers.ofByteArray())),
                    new Variant("BallastClient", () -> plain.send(request)),
                    new Variant("bare + traceparent + 2 headers", () -> bare.send(
                            HttpRequest.newBuilder(URI.create(target)).header("traceparent", traceparent)
                                    .header("authorization", "Bearer token").header("accept", "application/json")
                                    .build(), HttpResponse.BodyHandlers.ofByteArray())),
                    new Variant("BallastClient + 3 interceptors", () -> chained.send(request)));
            run(variants, seconds * RATE, false); // warm-up
            for (int round = 0; round < rounds; round++) {
                run(variants, seconds * RATE, true);
            }
            System.out.printf(Locale.ROOT, "%nEach variant paced at %d calls/s, calls interleaved (one of each per"
                    + " 1 ms tick, order rotating), %d rounds x %d s, one caller thread, one HttpClient%n", RATE, rounds,
                    seconds);
            System.out.printf(Locale.ROOT, "%-34s %10s %10s %10s %12s %12s%n", "variant", "p50 µs", "mean µs",
                    "p99 µs", "p50 vs bare", "mean vs bare");
            Variant baseline = variants.getFirst();
            for (Variant variant : variants) {
                System.out.printf(Locale.ROOT, "%-34s %10.1f %10.1f %10.1f %+11.1f%% %+11.1f%% caller CPU %.1f µs%n",
                        variant.name, variant.percentile(0.50), variant.mean(), variant.percentile(0.99),
                        100 * (variant.percentile(0.50) - baseline.percentile(0.50)) / baseline.percentile(0.50),
                        100 * (variant.mean() - baseline.mean()) / baseline.mean(),
                        variant.callerCpu / 1e3 / (variant.latencies.size() * (double) variant.latencies.getFirst().length));
            }
        } finally {
            bare.shutdownNow();
            server.stop(0);
            serverThreads.shutdownNow();
        }
        measureOwnWork(address);
        measurePickAllocation();
    }

    /** A client with a typical chain: metrics to a counter, bearer auth, a default header. */
    private static BallastClient withInterceptors(BallastClient.Builder builder) {
        LongAdder metered = new LongAdder();
        return builder
                .interceptor(Interceptors.metrics(new CallListener() {
                    @Override
                    public void callFinished(CallEvent event) {
                        metered.increment();
                    }
                }))
                .interceptor(Interceptors.bearerAuth("token"))
                .interceptor(Interceptors.defaultHeaders(Map.of("accept", "application/json")))
                .build();
    }

    /**
     * The client's own work per call, over an {@link HttpClient} stub that answers at once: the
     * difference between building and sending a JDK request to the stub directly and making the same
     * call through {@code BallastClient}. Time and bytes per call, single thread, after warm-up.
     */
    private static void measureOwnWork(String address) throws Exception {
        StubHttpClient stub = new StubHttpClient();
        ServiceConfig service = ServiceConfig.builder("items").endpoints(address).balancer(Policies.LEAST_REQUEST).build();
        ClientRequest request = ClientRequest.request("items").path("/v1/items/42");
        URI uri = URI.create("http://" + address + "/v1/items/42");
        try (BallastClient client = BallastClient.builder().service(service).httpClient(stub).build();
             BallastClient chained = withInterceptors(BallastClient.builder().service(service).httpClient(stub))) {
            List<Variant> variants = List.of(
                    new Variant("stub HttpClient, direct", () -> stub.send(HttpRequest.newBuilder(uri).build(),
                            HttpResponse.BodyHandlers.ofByteArray())),
                    new Variant("BallastClient over the stub", () -> client.send(request)),
                    new Variant("  + 3 interceptors", () -> chained.send(request)));
            com.sun.management.ThreadMXBean threads =
                    (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            System.out.printf(Locale.ROOT, "%n%-32s %12s %14s%n", "own work (no I/O)", "ns/call", "bytes/call");
            for (int round = 0; round < 2; round++) {
                for (Variant variant : variants) {
                    int n = 500_000;
                    long bytes = threads.getThreadAllocatedBytes(Thread.currentThread().threadId());
                    long start = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        variant.send.send();
                    }
                    long nanos = System.nanoTime() - start;
                    long allocated = threads.getThreadAllocatedBytes(Thread.currentThread().threadId()) - bytes;
                    if (round == 1) { // the first round is warm-up
                        System.out.printf(Locale.ROOT, "%-32s %12.0f %14.0f%n", variant.name, (double) nanos / n,
                                (double) allocated / n);
                    }
                }
            }
        }
    }

    /**
     * {@code n} ticks of 1 ms (open loop: a late tick does not push the schedule); each tick calls every
     * variant once, in an order that rotates, so drift and noise from other processes hit all alike.
     */
    private static void run(List<Variant> variants, int n, boolean record) throws Exception {
        long[][] samples = new long[variants.size()][n];
        long periodNanos = TimeUnit.SECONDS.toNanos(1) / RATE;
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long wait = start + i * periodNanos - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            for (int k = 0; k < variants.size(); k++) {
                int v = (i + k) % variants.size();
                long c0 = CPU.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                variants.get(v).send.send();
                samples[v][i] = System.nanoTime() - t0;
                if (record) {
                    variants.get(v).callerCpu += CPU.getCurrentThreadCpuTime() - c0;
                }
            }
        }
        if (record) {
            for (int v = 0; v < variants.size(); v++) {
                variants.get(v).latencies.add(samples[v]);
            }
        }
    }

    /** Bytes allocated per balancing step, by the thread's allocation counter over a million picks. */
    private static void measurePickAllocation() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        ScheduledExecutorService control = Executors.newSingleThreadScheduledExecutor();
        HttpClient http = HttpClient.newHttpClient();
        System.out.printf(Locale.ROOT, "%n%-20s %10s %12s %14s%n", "balancing step", "endpoints", "ns/pick", "bytes/pick");
        try {
            for (String balancer : List.of(Policies.ROUND_ROBIN, Policies.LEAST_REQUEST, Policies.PEAK_EWMA,
                    Policies.MAGLEV)) {
                for (int size : new int[] {3, 100}) {
                    Channel channel = ClientPickBenchmark.Channels.channel(balancer, size, http,
                            Scheduler.of(control));
                    Call call = Call.of(ClientRequest.request("bench"));
                    int n = 1_000_000;
                    pick(channel, call, n); // warm-up: compiled before counting
                    long thread = Thread.currentThread().threadId();
                    long bytes = threads.getThreadAllocatedBytes(thread);
                    long start = System.nanoTime();
                    pick(channel, call, n);
                    long nanos = System.nanoTime() - start;
                    long allocated = threads.getThreadAllocatedBytes(thread) - bytes;
                    System.out.printf(Locale.ROOT, "%-20s %10d %12.1f %14.3f%n", balancer, size, (double) nanos / n,
                            (double) allocated / n);
                    channel.close();
                }
            }
        } finally {
            http.shutdownNow();
            control.shutdownNow();
        }
    }

    private static void pick(Channel channel, Call call, int n) {
        for (int i = 0; i < n; i++) {
            if (channel.pick(call) instanceof PickResult.Picked picked) {
                picked.endpoint().release(1_000_000);
            }
        }
    }

    @FunctionalInterface
    private interface Send {
        void send() throws Exception;
    }

    /** One way of making the call, and what its measured rounds saw. */
    private static final class Variant {

        final String name;
        final Send send;
        final List<long[]> latencies = new ArrayList<>();
        long callerCpu;

        Variant(String name, Send send) {
            this.name = name;
            this.send = send;
        }

        private long[] all() {
            return latencies.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        }

        double mean() {
            return Arrays.stream(all()).average().orElse(0) / 1_000;
        }

        double percentile(double q) {
            long[] sorted = all();
            return sorted[(int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] / 1_000.0;
        }

    }
}
