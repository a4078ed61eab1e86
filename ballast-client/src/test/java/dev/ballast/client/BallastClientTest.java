package dev.ballast.client;

import dev.ballast.client.testing.Backend;
import dev.ballast.core.endpoint.Endpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.ballast.client.ClientRequest.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BallastClientTest {

    private final Backend a = Backend.start("a").delay(Duration.ofMillis(20));
    private final Backend b = Backend.start("b");
    private BallastClient client;

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        a.close();
        b.close();
    }

    @Test
    void manyVirtualThreadsCallAtOnce() throws Exception {
        client = BallastClient.builder().service(ServiceConfig.builder("orders").endpoints(a.address()).build()).build();
        List<Future<ClientResponse>> calls = new ArrayList<>();

        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        try {
            for (int i = 0; i < 200; i++) {
                calls.add(threads.submit(() -> client.send(request("orders"))));
            }
            for (Future<ClientResponse> call : calls) {
                assertThat(call.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
            }
        } finally {
            threads.shutdownNow(); // not close(): it would wait for good on a call that hangs
        }
        assertThat(client.endpoints("orders").getFirst().inFlight()).isZero();
        assertThat(client.endpoints("orders").getFirst().requests()).isEqualTo(200);
    }

    @Test
    void newEndpointsFromDiscoveryTakeTrafficAndOldOnesLeave() {
        client = BallastClient.builder().service(ServiceConfig.builder("orders").endpoints(a.address()).build()).build();
        assertThat(client.send(request("orders")).bodyText()).isEqualTo("a");

        client.setEndpoints("orders", List.of(Endpoint.parse(b.address())));

        assertThat(client.send(request("orders")).bodyText()).isEqualTo("b");
        assertThat(client.endpoints("orders")).extracting(EndpointStatus::address).containsExactly(b.address());
    }

    @Test
    void aServiceWithoutEndpointsFailsFastWithTheReason() {
        client = BallastClient.builder().service(ServiceConfig.builder("orders").build()).build();

        assertThatThrownBy(() -> client.send(request("orders")))
                .isInstanceOfSatisfying(CallException.class, e -> {
                    assertThat(e.kind()).isEqualTo(CallException.Kind.NO_ENDPOINT);
                    assertThat(e.getMessage()).isEqualTo("orders: no endpoints");
                });
        assertThatThrownBy(() -> client.send(request("billing")))
                .isInstanceOfSatisfying(CallException.class, e -> {
                    assertThat(e.kind()).isEqualTo(CallException.Kind.UNKNOWN_SERVICE);
                    assertThat(e.getMessage()).isEqualTo("billing: not a configured service (expected one of: orders)");
                });
    }

    @Test
    void aRefusedConnectionIsAConnectFailure() {
        a.stop();
        client = BallastClient.builder().service(ServiceConfig.builder("orders").endpoints(a.address()).build()).build();

        assertThatThrownBy(() -> client.send(request("orders")))
                .isInstanceOfSatisfying(CallException.class, e -> {
                    assertThat(e.kind()).isEqualTo(CallException.Kind.CONNECT_FAILURE);
                    assertThat(e.endpoint()).isEqualTo(a.address());
                    assertThat(e.getMessage()).startsWith("orders: attempt 1 to " + a.address() + " could not connect")
                            .as("says why, from deep in the JDK's exception").containsIgnoringCase("refused");
                });
    }

    @Test
    void aClosedClientRefusesCalls() {
        client = BallastClient.builder().service(ServiceConfig.builder("orders").endpoints(a.address()).build()).build();
        client.close();

        assertThatThrownBy(() -> client.sendAsync(request("orders"))).hasMessage("client closed");
        assertThatThrownBy(() -> client.send(request("orders"))).isInstanceOf(IllegalStateException.class)
                .hasMessage("client closed");
        assertThat(client.endpoints("orders").getFirst().failures()).as("not the endpoint's fault").isZero();
    }

    @Test
    void aCallInFlightKeepsItsDeadlineAfterCloseOnTheCallersHttpClient() throws Exception {
        a.delay(Duration.ofSeconds(5));
        try (HttpClient http = HttpClient.newHttpClient()) {
            client = BallastClient.builder().httpClient(http)
                    .service(ServiceConfig.builder("orders").endpoints(a.address()).build()).build();
            CompletableFuture<ClientResponse> call = client.sendAsync(request("orders").timeout(Duration.ofMillis(300)));
            client.close();

            assertThatThrownBy(() -> call.get(3, TimeUnit.SECONDS)).hasCauseInstanceOf(CallException.class)
                    .cause().satisfies(e -> assertThat(((CallException) e).kind())
                            .isEqualTo(CallException.Kind.DEADLINE_EXCEEDED));
        }
    }

    @Test
    void oneHostListedTwiceInDifferentCaseIsRefusedAsADuplicateAndChangesNothing() {
        client = BallastClient.builder().service(ServiceConfig.builder("orders").endpoints(a.address()).build()).build();
        int port = Endpoint.parse(b.address()).port();

        // Host names are case-insensitive (RFC 4343), as ServiceConfig, the YAML reader and discovery take them.
        assertThatThrownBy(() -> client.setEndpoints("orders",
                List.of(Endpoint.of("localhost", port), Endpoint.of("LOCALHOST", port))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("service orders: endpoints[1]: duplicate endpoint LOCALHOST:" + port + " (also endpoints[0])");

        assertThat(client.endpoints("orders")).extracting(EndpointStatus::address).containsExactly(a.address());
    }

    @Test
    void anEndpointThatCannotBeAUriChangesNothing() {
        client = BallastClient.builder().service(ServiceConfig.builder("orders").endpoints(a.address()).build()).build();

        assertThatThrownBy(() -> client.setEndpoints("orders",
                List.of(Endpoint.parse(b.address()), Endpoint.parse("my_svc:9"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("endpoint 'my_svc:9' cannot be used in a URI");

        assertThat(client.endpoints("orders")).extracting(EndpointStatus::address).containsExactly(a.address());
        assertThat(client.send(request("orders")).bodyText()).isEqualTo("a");
    }
}
