package dev.ballast.discovery.etcd;

import com.sun.net.httpserver.HttpServer;
import dev.ballast.client.BallastClient;
import dev.ballast.client.ClientRequest;
import dev.ballast.client.EndpointStatus;
import dev.ballast.client.ServiceConfig;
import dev.ballast.core.endpoint.EndpointSource;
import dev.ballast.core.endpoint.Watch;
import dev.ballast.core.endpoint.WatchTarget;
import dev.ballast.discovery.etcd.testing.EtcdServer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** A library client whose endpoints services register in etcd, found through the {@code EndpointSource} SPI. */
class ClientDiscoveryTest {

    /** A real HTTP server on loopback that answers every request with its name. */
    private static HttpServer backend(String name) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = name.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return server;
    }

    private static String address(HttpServer server) {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    private static Set<String> answers(BallastClient client, int calls) {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < calls; i++) {
            names.add(client.send(ClientRequest.request("orders")).bodyText());
        }
        return names;
    }

    @Test
    void aClientCallsTheServicesRegisteredInEtcdAndFollowsThemAsTheyComeAndGo() throws Exception {
        HttpServer a = backend("a");
        HttpServer b = backend("b");
        try (EtcdServer etcd = EtcdServer.started();
             BallastClient client = BallastClient.builder().service(ServiceConfig.builder("orders").build()).build()) {
            etcd.put("/services/orders/a", address(a));
            EndpointSource source = EndpointSource.find("etcd").orElseThrow(); // through ServiceLoader
            Watch watch = client.discover("orders", source,
                    new WatchTarget("service orders", List.of(URI.create(etcd.url())), 2_000, "/services/orders/"));

            await().atMost(Duration.ofSeconds(10)).until(() -> client.endpoints("orders").size() == 1);
            assertThat(answers(client, 10)).containsExactly("a");
            assertThat(watch.status().connected()).isTrue();

            etcd.put("/services/orders/b", address(b));
            await().atMost(Duration.ofSeconds(10)).until(() -> client.endpoints("orders").size() == 2);
            assertThat(answers(client, 20)).containsExactlyInAnyOrder("a", "b");

            etcd.delete("/services/orders/a");
            await().atMost(Duration.ofSeconds(10)).until(() -> client.endpoints("orders").size() == 1);
            assertThat(answers(client, 10)).containsExactly("b");
            assertThat(watch.status().entries()).isEqualTo(1);
        } finally {
            a.stop(0);
            b.stop(0);
        }
    }

    @Test
    void theConfiguredEndpointsComeFirstAndARegistrationThatCannotBeAUriHostIsLeftOut() throws Exception {
        HttpServer a = backend("a");
        HttpServer b = backend("b");
        HttpServer c = backend("c");
        try (EtcdServer etcd = EtcdServer.started();
             BallastClient client = BallastClient.builder()
                     .service(ServiceConfig.builder("orders").endpoints(address(a)).build()).build()) {
            etcd.put("/services/orders/a", address(a)); // also configured: listed once
            etcd.put("/services/orders/bad", "orders_api:8080"); // java.net.URI takes no '_' in a host
            etcd.put("/services/orders/b", address(b));
            Watch watch = client.discover("orders", EndpointSource.find("etcd").orElseThrow(),
                    new WatchTarget("service orders", List.of(URI.create(etcd.url())), 2_000, "/services/orders/"));

            await().atMost(Duration.ofSeconds(10)).until(() -> client.endpoints("orders").size() == 2);
            assertThat(client.endpoints("orders")).extracting(EndpointStatus::address)
                    .containsExactly(address(a), address(b));
            // The bad key does not stop the service from following the others.
            etcd.put("/services/orders/c", address(c));
            await().atMost(Duration.ofSeconds(10)).until(() -> client.endpoints("orders").size() == 3);
            assertThat(answers(client, 30)).containsExactlyInAnyOrder("a", "b", "c");
            watch.close();
        } finally {
            a.stop(0);
            b.stop(0);
            c.stop(0);
        }
    }

    @Test
    void discoveringAServiceTheClientDoesNotHaveIsRefusedBeforeAnyWatchStarts() {
        try (BallastClient client = BallastClient.builder().service(ServiceConfig.builder("orders").build()).build()) {
            EndpointSource source = EndpointSource.find("etcd").orElseThrow();
            WatchTarget target = new WatchTarget("service payments", List.of(URI.create("http://127.0.0.1:1")), 500,
                    "/services/payments/");
            assertThatThrownBy(() -> client.discover("payments", source, target))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'payments'");
        }
    }
}
