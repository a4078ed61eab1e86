package dev.ballast.client.internal;

import dev.ballast.client.ServiceConfig.HealthCheck;
import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.health.CheckOutcome;
import dev.ballast.core.health.HealthChecker;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The client's half of active health checking: probes one endpoint with the service's own
 * {@link HttpClient} ({@code GET path}, expected status range) or with a TCP connect. The core's
 * {@code HealthMonitor} decides when to check and what the results mean.
 *
 * <p>Never blocks the monitor's thread: HTTP checks are asynchronous, TCP connects run on a virtual
 * thread. Cancelling the returned future (the monitor's timeout) aborts the HTTP exchange.
 */
final class HttpHealthChecker implements HealthChecker {

    private final HealthCheck settings;
    private final HttpClient http;
    private final String scheme;
    private final Executor connects;

    HttpHealthChecker(HealthCheck settings, HttpClient http, String scheme, Executor connects) {
        this.settings = settings;
        this.http = http;
        this.scheme = scheme;
        this.connects = connects;
    }

    @Override
    public CompletableFuture<CheckOutcome> check(Endpoint endpoint) {
        return settings.type() == HealthCheck.Type.TCP ? connect(endpoint) : get(endpoint);
    }

    private CompletableFuture<CheckOutcome> get(Endpoint endpoint) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(scheme + "://" + endpoint.address() + settings.path()))
                .timeout(settings.settings().timeout())
                .header("user-agent", "ballast-health-check")
                .GET()
                .build();
        // Judged on the status line, as the proxy's check is: the body is not waited for (a slow or
        // endless one would fail a check the endpoint passed), and closing it ends the exchange.
        CompletableFuture<HttpResponse<InputStream>> exchange = http.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream());
        // Closed by a stage of the exchange itself, whatever became of the check: the stage below does not
        // run once the monitor has cancelled the outcome, and an exchange that had its response by then
        // is not cancelled either, so its body, and the connection under it, would be held for good.
        exchange.thenAccept(response -> {
            try {
                response.body().close();
            } catch (IOException ignored) {
                // the body is not wanted: nothing to lose
            }
        });
        CompletableFuture<CheckOutcome> outcome = exchange.handle((response, error) -> {
            if (error != null) {
                return CheckOutcome.failed(describe(error));
            }
            int status = response.statusCode();
            return status >= settings.minStatus() && status <= settings.maxStatus()
                    ? CheckOutcome.passed() : CheckOutcome.failed("status " + status);
        });
        outcome.whenComplete((result, error) -> {
            if (outcome.isCancelled()) {
                exchange.cancel(true); // the monitor gave up: close the connection
            }
        });
        return outcome;
    }

    private CompletableFuture<CheckOutcome> connect(Endpoint endpoint) {
        int timeoutMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, settings.settings().timeout().toMillis()));
        return CompletableFuture.supplyAsync(() -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(endpoint.host(), endpoint.port()), timeoutMillis);
                return CheckOutcome.passed();
            } catch (IOException e) {
                return CheckOutcome.failed(describe(e));
            }
        }, connects);
    }

    private static String describe(Throwable error) {
        Throwable cause = error.getCause() != null && !(error instanceof IOException) ? error.getCause() : error;
        String message = cause.getMessage();
        return cause.getClass().getSimpleName() + (message == null || message.isBlank() ? "" : ": " + message);
    }
}
