package dev.ballast.bench.client;

import dev.ballast.client.ClientRequest;
import dev.ballast.client.ServiceConfig;
import dev.ballast.client.internal.Call;
import dev.ballast.client.internal.Resources;
import dev.ballast.client.internal.Channel;
import dev.ballast.core.pick.PickResult;
import dev.ballast.core.pick.Policies;
import dev.ballast.core.time.Scheduler;
import dev.ballast.core.time.Ticker;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.net.http.HttpClient;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The client's balancing step exactly as its transport runs it: {@code Channel.pick} with the
 * call object as the {@code PickContext}, then the release. Run with {@code -prof gc} to see
 * {@code gc.alloc.rate.norm} = 0 B/op:
 * {@code java -jar ballast-bench/target/benchmarks.jar ClientPickBenchmark -prof gc}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class ClientPickBenchmark {

    @Param({Policies.ROUND_ROBIN, Policies.LEAST_REQUEST, Policies.PEAK_EWMA})
    public String balancer;

    @Param({"3", "100"})
    public int size;

    private ScheduledExecutorService control;
    private HttpClient http;
    private Channel channel;
    private Call call;

    @Setup(Level.Trial)
    public void setUp() {
        control = Executors.newSingleThreadScheduledExecutor();
        http = HttpClient.newHttpClient();
        channel = Channels.channel(balancer, size, http, Scheduler.of(control));
        call = Call.of(ClientRequest.request("bench"));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        channel.close();
        http.shutdownNow();
        control.shutdownNow();
    }

    @Benchmark
    public PickResult pickAndRelease() {
        PickResult result = channel.pick(call);
        if (result instanceof PickResult.Picked picked) {
            picked.endpoint().release(1_000_000);
        }
        return result;
    }

    /** Service channels over made-up endpoints, for measuring picks without traffic. */
    static final class Channels {

        private Channels() {
        }

        static Channel channel(String balancer, int size, HttpClient http, Scheduler scheduler) {
            String[] addresses = new String[size];
            for (int i = 0; i < size; i++) {
                addresses[i] = "10.0." + (i >> 8 & 0xFF) + "." + (i & 0xFF) + ":8080";
            }
            ServiceConfig config = ServiceConfig.builder("bench").endpoints(addresses).balancer(balancer).build();
            return new Channel(config, http, new Resources(Ticker.system(), scheduler, scheduler,
                    dev.ballast.core.pick.Rng.threadLocal(), dev.ballast.client.CallListener.NONE));
        }
    }
}
