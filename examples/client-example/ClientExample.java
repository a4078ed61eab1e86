import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ballast.client.BallastClient;
import dev.ballast.client.CallContext;
import dev.ballast.client.CallException;
import dev.ballast.client.CallListener;
import dev.ballast.client.ClientResponse;
import dev.ballast.client.Fanout;
import dev.ballast.client.FanoutResult;
import dev.ballast.client.ServiceConfig;
import dev.ballast.client.interceptor.Interceptors;
import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.outlier.OutlierDetection;
import dev.ballast.core.pick.Policies;
import dev.ballast.core.resilience.Backoff;
import dev.ballast.core.resilience.RetryPolicy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;

import static dev.ballast.client.ClientRequest.request;

/**
 * A small service built on ballast-client. {@code storefront} answers {@code GET /product/ID} by
 * calling two services it knows only by name:
 * <ul>
 *   <li>{@code catalog}, three endpoints balanced by peak EWMA: one is fast, one slow, one answers
 *       503. Retries (with backoff and a budget), outlier detection and hedging at the p95 keep the
 *       storefront's answers fast and successful anyway;</li>
 *   <li>{@code inventory}, four shards asked all at once (a fan-out); one is too slow for the 800 ms
 *       allowed, and its failure is one line of the error report.</li>
 * </ul>
 * Each inbound request's deadline and trace come from its headers ({@link CallContext#fromHeaders}),
 * so the caller's deadline bounds every call made for it and one trace id spans them all.
 *
 * <p>Run (see README.md): {@code java -cp CLASSPATH ClientExample.java [--port 8080] [--once]}.
 * The demo backends run in-process; with {@code --once} the example calls itself ten times,
 * prints what happened and exits.
 */
public final class ClientExample {

    private ClientExample() {
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 1 && args[0].equals("--port") ? Integer.parseInt(args[1]) : 8080;
        boolean once = List.of(args).contains("--once");
        LongAdder attempts = new LongAdder();
        LongAdder ejections = new LongAdder();
        try (DemoBackends demo = new DemoBackends();
             BallastClient client = BallastClient.builder()
                     .service(ServiceConfig.builder("catalog")
                             .endpoints(demo.start("catalog-fast", 0, 200), demo.start("catalog-slow", 300, 200),
                                     demo.start("catalog-broken", 0, 503))
                             .balancer(Policies.PEAK_EWMA)
                             .responseTimeout(Duration.ofSeconds(2))
                             .retries(RetryPolicy.builder().attempts(2)
                                     .retryOn(EnumSet.allOf(RetryPolicy.Condition.class))
                                     .backoff(Backoff.exponential(Duration.ofMillis(10), Duration.ofMillis(100)))
                                     .build())
                             .outlierDetection(OutlierDetection.of(3, Duration.ofSeconds(30), 50))
                             .hedging(ServiceConfig.Hedging.atPercentile(0.95, Duration.ofMillis(50)))
                             .build())
                     .service(ServiceConfig.builder("inventory")
                             .endpoints(demo.start("shard-1", 0, 200), demo.start("shard-2", 0, 200),
                                     demo.start("shard-3", 0, 200), demo.start("shard-4", 5_000, 200))
                             .build())
                     .service(ServiceConfig.builder("storefront").build()) // endpoints set once it listens
                     .interceptor(Interceptors.bearerAuth(() -> "demo-token"))
                     .listener(new CallListener() {
                         @Override
                         public void attemptFinished(AttemptEvent event) {
                             attempts.increment();
                         }

                         @Override
                         public void endpointChanged(EndpointEvent event) {
                             ejections.increment();
                             System.out.println("  [" + event.service() + "] " + event.endpoint() + " " + event.from()
                                     + " -> " + event.to() + " (" + event.reason() + ")");
                         }
                     })
                     .build();
             Storefront storefront = new Storefront(client, port)) {
            // What a discovery source does: tell the client where a service is now.
            client.setEndpoints("storefront", List.of(Endpoint.parse(storefront.address())));
            if (!once) {
                System.out.println("storefront on http://" + storefront.address() + "/product/42 (Ctrl-C to stop)");
                Thread.currentThread().join();
            }
            for (int i = 1; i <= 10; i++) {
                ClientResponse response = client.send(request("storefront").path("/product/" + i)
                        .timeout(Duration.ofSeconds(5)));
                System.out.printf("GET /product/%-2d -> %d, trace %s: %s%n", i, response.status(),
                        response.trace().traceId(), response.bodyText().lines().findFirst().orElse(""));
            }
            System.out.println("last answer in full:\n" + storefront.lastAnswer);
            System.out.println(attempts.sum() + " attempts in all, " + ejections.sum() + " endpoint changes");
        }
    }

    /** The service itself: one handler that calls catalog, then fans out to inventory. */
    private static final class Storefront implements AutoCloseable {

        private final BallastClient client;
        private final HttpServer server;
        private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        private volatile String lastAnswer = "";

        Storefront(BallastClient client, int port) throws IOException {
            this.client = client;
            this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
            server.createContext("/product/", this::handle);
            server.setExecutor(threads); // one virtual thread per request: blocking calls are fine
            server.start();
        }

        String address() {
            return "127.0.0.1:" + server.getAddress().getPort();
        }

        private void handle(HttpExchange exchange) throws IOException {
            String id = exchange.getRequestURI().getPath().substring("/product/".length());
            CallContext inbound = CallContext.fromHeaders(exchange.getRequestHeaders()::getFirst);
            StringBuilder answer = new StringBuilder();
            int status = 200;
            try (CallContext scope = inbound.hasDeadline() ? inbound : inbound.withTimeout(Duration.ofSeconds(5))) {
                ClientResponse product = client.send(request("catalog").path("/catalog/" + id).context(scope));
                answer.append("product ").append(id).append(" from ").append(product.bodyText())
                        .append(" after ").append(product.attempts()).append(" attempt(s)");
                FanoutResult stock = Fanout.of(client).context(scope).perCallTimeout(Duration.ofMillis(800))
                        .callEveryEndpoint(request("inventory").path("/stock/" + id));
                answer.append(", stock from ").append(stock.responses().size()).append(" of ")
                        .append(stock.outcomes().size()).append(" shards");
                if (!stock.errors().isEmpty()) {
                    answer.append("\n").append(stock.errors());
                }
            } catch (CallException e) {
                status = e.kind() == CallException.Kind.DEADLINE_EXCEEDED ? 504 : 502;
                answer.append(e.kind()).append(": ").append(e.getMessage());
            }
            lastAnswer = answer.toString();
            byte[] body = lastAnswer.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }

        @Override
        public void close() {
            server.stop(0);
            threads.shutdownNow();
        }
    }

    /** The services storefront calls, in-process for the demo: each answers its name after a delay. */
    private static final class DemoBackends implements AutoCloseable {

        private final List<HttpServer> servers = new ArrayList<>();
        private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

        String start(String name, int delayMillis, int status) throws IOException {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
            server.createContext("/", exchange -> {
                try (exchange) {
                    Thread.sleep(delayMillis);
                    byte[] body = name.getBytes(StandardCharsets.UTF_8);
                    exchange.sendResponseHeaders(status, body.length);
                    exchange.getResponseBody().write(body);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            server.setExecutor(threads);
            server.start();
            servers.add(server);
            return "127.0.0.1:" + server.getAddress().getPort();
        }

        @Override
        public void close() {
            servers.forEach(server -> server.stop(0));
            threads.shutdownNow();
        }
    }
}
