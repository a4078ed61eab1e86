import com.sun.net.httpserver.HttpServer;
import dev.ballast.client.BallastClient;
import dev.ballast.client.CallException;
import dev.ballast.client.ClientResponse;
import dev.ballast.client.ServiceConfig;
import dev.ballast.client.interceptor.Interceptors;
import dev.ballast.core.resilience.RetryPolicy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static dev.ballast.client.ClientRequest.request;

/** The quick start of docs/client.md: two local endpoints for "orders", one client, three calls. */
public final class QuickStart {

    public static void main(String[] args) throws Exception {
        HttpServer first = backend("first");
        HttpServer second = backend("second");
        try (BallastClient client = BallastClient.builder()
                .service(ServiceConfig.builder("orders")
                        .endpoints(address(first), address(second))
                        .balancer("least-request")
                        .retries(RetryPolicy.builder().attempts(2).build())
                        .build())
                .interceptor(Interceptors.logging())
                .build()) {
            ClientResponse response = client.send(request("orders").path("/v1/orders/42"));
            System.out.println(response.status() + " from " + response.endpoint() + ": " + response.bodyText());

            CompletableFuture<ClientResponse> later = client.sendAsync(request("orders").path("/v1/orders/43")
                    .timeout(Duration.ofMillis(500)));
            System.out.println("async: " + later.join().bodyText() + ", trace " + later.join().trace());

            try {
                client.send(request("payments"));
            } catch (CallException e) {
                System.out.println(e.kind() + ": " + e.getMessage());
            }
        } finally {
            first.stop(0);
            second.stop(0);
        }
    }

    private static HttpServer backend(String name) throws java.io.IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", exchange -> {
            byte[] body = (name + " got " + exchange.getRequestURI()).getBytes();
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return server;
    }

    private static String address(HttpServer server) {
        return "127.0.0.1:" + server.getAddress().getPort();
    }
}
