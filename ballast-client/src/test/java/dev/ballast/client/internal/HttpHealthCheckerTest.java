package dev.ballast.client.internal;

import dev.ballast.client.ServiceConfig.HealthCheck;
import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.health.CheckOutcome;
import dev.ballast.core.health.HealthCheckSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
}
