package dev.ballast.proxy.http;

import dev.ballast.core.outlier.Ejection;
import dev.ballast.core.outlier.OutlierListener;
import dev.ballast.core.pick.Policies;
import dev.ballast.core.resilience.RetryPolicy.Condition;
import dev.ballast.proxy.ProxyServer;
import dev.ballast.proxy.config.ResilienceConfig;
import dev.ballast.proxy.config.RetryConfig;
import dev.ballast.proxy.config.UpstreamConfig;
import dev.ballast.proxy.testing.SteadyLoad;
import dev.ballast.proxy.testing.TestBackend;
import dev.ballast.proxy.testing.Teardown;
import dev.ballast.proxy.testing.TestConfigs;
import dev.ballast.proxy.upstream.Upstream;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.ballast.proxy.testing.TestConfigs.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The headline of issue 4: one of three endpoints dies, starts answering 503, or stops answering,
 * while a client sends a steady stream of GETs; the client sees no failed request.
 */
class ResilienceFailoverTest {

    /** A client with three connections: each endpoint carries about one request at any time. */
    private static final int CLIENTS = 3;

    private final Teardown teardown = new Teardown();
    private ProxyServer proxy;

    @AfterEach
    void stop() throws Exception {
        teardown.close();
    }

    private TestBackend backend(String name) {
        TestBackend backend = TestBackend.named(name);
        teardown.add(backend);
        return backend;
    }

    private InetSocketAddress start(ResilienceConfig resilience, TestBackend... backends) {
        UpstreamConfig upstream = TestConfigs.upstream("api", Policies.ROUND_ROBIN, endpoints(backends))
                .withResilience(resilience);
        proxy = teardown.add(ProxyServer.start(TestConfigs.proxy(upstream)));
        return proxy.listenerAddresses().get(0);
    }

    private Upstream upstream() {
        return proxy.upstreams().get("api");
    }

    /** Ejections of the upstream, as they happen, with the time they were told. */
    private List<Long> ejectionTimes() {
        List<Long> times = new CopyOnWriteArrayList<>();
        upstream().addOutlierListener(new OutlierListener() {
            @Override
            public void ejected(Ejection ejection) {
                times.add(System.nanoTime());
            }
        });
        return times;
    }

    /** Runs the load until every backend served some, breaks {@code victim}, and runs on until it is ejected. */
    private SteadyLoad breakOneUnderLoad(InetSocketAddress address, TestBackend victim, Runnable breakIt,
                                         String what) throws Exception {
        List<Long> ejections = ejectionTimes();
        SteadyLoad load = SteadyLoad.start(address, "/", CLIENTS);
        teardown.add(load);
        await().atMost(Duration.ofSeconds(10)).until(() -> load.served(victim.name()) >= 30);
        int before = load.requests();
        long brokenAt = System.nanoTime();
        breakIt.run();
        await().atMost(Duration.ofSeconds(10)).until(() -> !ejections.isEmpty());
        await().atMost(Duration.ofSeconds(10)).until(() -> load.requests() >= before + 600);
        load.close();
        System.out.printf("[figures] %s: %d of %d requests failed; %d requests after the break; ejected %d ms"
                        + " after it; p99 %d ms, slowest %d ms; failures: %s%n", what, load.failures().size(),
                load.requests(), load.requests() - before, (ejections.get(0) - brokenAt) / 1_000_000,
                load.latencyPercentileMillis(99), load.maxLatencyMillis(), load.failures());
        return load;
    }

    @Test
    void killingOneOfThreeBackendsUnderASteadyStreamFailsNoRequest() throws Exception {
        TestBackend a = backend("a");
        TestBackend b = backend("b");
        TestBackend c = backend("c");
        InetSocketAddress address = start(ResilienceConfig.defaults(), a, b, c);

        SteadyLoad load = breakOneUnderLoad(address, c, c::close, "kill one of three (defaults)");

        assertThat(load.failures()).as("failed requests seen by the client").isEmpty();
        assertThat(upstream().outliers().ejectedNow()).isEqualTo(1);
        assertThat(upstream().retries()).as("the requests that met the dead endpoint were retried").isPositive();
    }

    @Test
    void aBackendThatStartsAnswering503IsRetriedAroundAndEjected() throws Exception {
        TestBackend a = backend("a");
        TestBackend b = backend("b");
        TestBackend c = backend("c");
        RetryConfig retries = new RetryConfig(2, EnumSet.of(Condition.CONNECT_FAILURE, Condition.RESET),
                Set.of(502, 503, 504), Duration.ZERO, RetryConfig.DEFAULT_BUDGET_PERCENT, RetryConfig.DEFAULT_BACKOFF);
        InetSocketAddress address = start(ResilienceConfig.defaults().withRetries(retries), a, b, c);

        SteadyLoad load = breakOneUnderLoad(address, c, () -> c.respondWith((ctx, request) ->
                TestBackend.text(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE, "c is overloaded")),
                "one of three answers 503");

        assertThat(load.failures()).as("failed requests seen by the client").isEmpty();
        assertThat(upstream().outliers().ejectedNow()).isEqualTo(1);
    }

    @Test
    void aBackendThatHangsCostsNoMoreThanThePerTryTimeout() throws Exception {
        TestBackend a = backend("a");
        TestBackend b = backend("b");
        TestBackend c = backend("c");
        Duration perTry = Duration.ofMillis(300);
        RetryConfig retries = new RetryConfig(2, EnumSet.of(Condition.CONNECT_FAILURE, Condition.RESET,
                Condition.TIMEOUT), Set.of(), perTry, RetryConfig.DEFAULT_BUDGET_PERCENT, RetryConfig.DEFAULT_BACKOFF);
        InetSocketAddress address = start(ResilienceConfig.defaults().withRetries(retries), a, b, c);

        SteadyLoad load = breakOneUnderLoad(address, c, () -> c.respondWith(TestBackend.silent()),
                "one of three hangs (per_try_timeout 300ms)");

        assertThat(load.failures()).as("failed requests seen by the client").isEmpty();
        assertThat(load.latencyPercentileMillis(99)).as("p99 latency: one per-try timeout and a retry (and room"
                + " for a busy machine), far from response_timeout").isLessThan(perTry.toMillis() + 700);
        assertThat(load.maxLatencyMillis()).as("no request waited anywhere near response_timeout (5s)")
                .isLessThan(2_500);
        assertThat(upstream().outliers().ejectedNow()).isEqualTo(1);
    }
}
