package dev.ballast.client.internal;

import dev.ballast.client.CallListener;
import dev.ballast.client.ClientRequest;
import dev.ballast.client.ServiceConfig;
import dev.ballast.core.pick.PickResult;
import dev.ballast.core.pick.Rng;
import dev.ballast.core.pick.Policies;
import dev.ballast.core.testing.FakeScheduler;
import dev.ballast.core.testing.FakeTicker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;

import static org.assertj.core.api.Assertions.assertThat;

class ChannelTest {

    private final FakeTicker ticker = new FakeTicker();
    private final HttpClient http = HttpClient.newHttpClient();
    private Channel channel;

    @AfterEach
    void tearDown() {
        channel.close();
        http.shutdownNow();
    }

    private Channel channel(String balancer) {
        String[] addresses = new String[20];
        for (int i = 0; i < addresses.length; i++) {
            addresses[i] = "10.0.0." + (i + 1) + ":8080";
        }
        channel = new Channel(ServiceConfig.builder("items").endpoints(addresses).balancer(balancer).build(),
                http, new Resources(ticker, new FakeScheduler(ticker), new FakeScheduler(ticker), Rng.seeded(1),
                CallListener.NONE));
        return channel;
    }

    @ParameterizedTest
    @ValueSource(strings = {Policies.ROUND_ROBIN, Policies.LEAST_REQUEST, Policies.PEAK_EWMA, Policies.MAGLEV})
    void theBalancingStepAllocatesNothing(String balancer) {
        channel(balancer);
        pickAndRelease(200_000); // compiled before counting
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().threadId();

        long before = threads.getThreadAllocatedBytes(thread);
        pickAndRelease(200_000);
        long allocated = threads.getThreadAllocatedBytes(thread) - before;

        assertThat(allocated).as("bytes over 200,000 picks").isLessThan(2_000); // < 0.01 B per pick: counter noise
    }

    private void pickAndRelease(int n) {
        Call call = Call.of(ClientRequest.request("items"));
        for (int i = 0; i < n; i++) {
            if (channel.pick(call) instanceof PickResult.Picked picked) {
                picked.endpoint().release(1_000_000);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/v1/items/42", "/search?q=a%20b&limit=10", "/a/../b"})
    void attemptsGoToTheEndpointWithThePathAndQueryUnchanged(String path) {
        channel(Policies.ROUND_ROBIN);
        var endpoint = channel.members().getFirst();

        URI uri = channel.uri(endpoint, ClientRequest.request("items").path(path).target());

        assertThat(uri.toString()).isEqualTo("http://10.0.0.1:8080" + path);
        assertThat(uri.getHost()).isEqualTo("10.0.0.1");
        assertThat(uri.getPort()).isEqualTo(8080);
    }
}
