package dev.ballast.client.internal;

import dev.ballast.client.ServiceConfig.HealthCheck;
import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.health.CheckOutcome;
import dev.ballast.core.health.HealthCheckSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.InetAddress;
import java.net.ProxySelector;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class HttpHealthCheckerTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();
    private ServerSocket server;

    @AfterEach
    void tearDown() throws IOException {
        for (Socket socket : accepted) {
            socket.close();
        }
        if (server != null) {
            server.close();
        }
        http.shutdownNow();
    }

    @Test
    void anHttpCheckIsJudgedOnItsStatusWithoutWaitingForTheBody() throws Exception {
        // 200 at once, then a body that never ends: the endpoint answered, and passes.
        server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        Thread.startVirtualThread(() -> {
            try {
                Socket socket = server.accept();
                accepted.add(socket); // closed by tearDown
                socket.setSoTimeout(10_000);
                InputStream in = socket.getInputStream();
                int matched = 0;
                while (matched < 4) {
                    int b = in.read();
                    if (b < 0) {
                        throw new EOFException("the checker closed before the head ended");
                    }
                    matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
                }
                socket.getOutputStream().write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
            } catch (IOException ignored) {
                // the test ended
            }
        });
        HealthCheckSettings settings = new HealthCheckSettings(Duration.ofMillis(100), Duration.ofSeconds(5), 1, 1,
                Duration.ZERO, 0);
        HttpHealthChecker checker = new HttpHealthChecker(HealthCheck.http("/healthz", settings), http, "http",
                Thread.ofVirtual()::start);

        CheckOutcome outcome = checker.check(Endpoint.of("127.0.0.1", server.getLocalPort())).get(3, TimeUnit.SECONDS);

        assertThat(outcome.isPassed()).as(outcome.toString()).isTrue();
    }

    /**
     * The monitor gives up on a check (its timeout cancels the outcome) just as the response comes: the
     * stage that judges the status then never runs, and the exchange, answered already, cannot be
     * cancelled. Its body must still be closed, or the connection under it stays held.
     */
    @Test
    void theBodyOfAResponseThatComesAsTheMonitorGivesUpIsClosed() {
        AnsweredExchange exchange = new AnsweredExchange();
        HealthCheckSettings settings = new HealthCheckSettings(Duration.ofMillis(100), Duration.ofSeconds(5), 1, 1,
                Duration.ZERO, 0);
        HttpHealthChecker checker = new HttpHealthChecker(HealthCheck.http("/healthz", settings),
                new OneExchangeClient(exchange), "http", Runnable::run);
        CompletableFuture<CheckOutcome> outcome = checker.check(Endpoint.of("127.0.0.1", 9));

        outcome.cancel(true);
        Body body = new Body();
        exchange.complete(new Response(body));

        assertThat(outcome).isCancelled();
        assertThat(body.closed).as("the body of the response that came").isTrue();
    }

    /** An exchange whose response is on its way: cancelling it is too late, it completes with the response. */
    private static final class AnsweredExchange extends CompletableFuture<HttpResponse<InputStream>> {

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            return false;
        }
    }

    private static final class Body extends InputStream {

        volatile boolean closed;

        @Override
        public int read() {
            return -1;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private record Response(InputStream body) implements HttpResponse<InputStream> {

        @Override
        public int statusCode() {
            return 200;
        }

        @Override
        public HttpRequest request() {
            return HttpRequest.newBuilder(URI.create("http://127.0.0.1:9/healthz")).build();
        }

        @Override
        public Optional<HttpResponse<InputStream>> previousResponse() {
            return Optional.empty();
        }

        @Override
        public HttpHeaders headers() {
            return HttpHeaders.of(Map.of(), (name, value) -> true);
        }

        @Override
        public Optional<SSLSession> sslSession() {
            return Optional.empty();
        }

        @Override
        public URI uri() {
            return request().uri();
        }

        @Override
        public HttpClient.Version version() {
            return HttpClient.Version.HTTP_1_1;
        }
    }

    /** An HttpClient whose one exchange the test completes. */
    private static final class OneExchangeClient extends HttpClient {

        private final CompletableFuture<HttpResponse<InputStream>> exchange;

        OneExchangeClient(CompletableFuture<HttpResponse<InputStream>> exchange) {
            this.exchange = exchange;
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
                                                                 HttpResponse.BodyHandler<T> handler) {
            return (CompletableFuture<HttpResponse<T>>) (CompletableFuture<?>) exchange;
        }

        @Override
        public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
                                                                 HttpResponse.PushPromiseHandler<T> pushPromises) {
            return sendAsync(request, handler);
        }

        @Override
        public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<CookieHandler> cookieHandler() {
            return Optional.empty();
        }

        @Override
        public Optional<Duration> connectTimeout() {
            return Optional.empty();
        }

        @Override
        public Redirect followRedirects() {
            return Redirect.NEVER;
        }

        @Override
        public Optional<ProxySelector> proxy() {
            return Optional.empty();
        }

        @Override
        public SSLContext sslContext() {
            throw new UnsupportedOperationException();
        }

        @Override
        public SSLParameters sslParameters() {
            return new SSLParameters();
        }

        @Override
        public Optional<Authenticator> authenticator() {
            return Optional.empty();
        }

        @Override
        public Version version() {
            return Version.HTTP_1_1;
        }

        @Override
        public Optional<Executor> executor() {
            return Optional.empty();
        }
    }
}
