package dev.ballast.client.testing;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP backend on 127.0.0.1 (an ephemeral port) that a test can slow down, make fail, and
 * stop. Answers every request with its id as the body; records each request's headers.
 */
public final class Backend implements AutoCloseable {

    private final String id;
    private final HttpServer server;
    private final ExecutorService executor;
    private final AtomicInteger hits = new AtomicInteger();
    private final ConcurrentLinkedQueue<Headers> requests = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> paths = new ConcurrentLinkedQueue<>();
    private volatile Duration delay = Duration.ZERO;
    private volatile int status = 200;
    /** A body of this many bytes instead of the id; negative for the id. */
    private volatile int bodyBytes = -1;
    private volatile boolean chunked;
    private volatile boolean stopped;

    private static final int BACKLOG = 1024;

    private Backend(String id) throws IOException {
        this.id = id;
        this.executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("backend-" + id).factory());
        // A backlog of 0 is the JDK's 50, not the system's: 200 calls connecting at once overflow it, and a
        // dropped SYN is retried after a second, past the connect timeout.
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), BACKLOG);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    public static Backend start(String id) {
        try {
            return new Backend(id);
        } catch (IOException e) {
            throw new IllegalStateException("backend " + id + " did not start", e);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange; InputStream body = exchange.getRequestBody()) {
            body.readAllBytes();
            hits.incrementAndGet();
            requests.add(exchange.getRequestHeaders());
            paths.add(exchange.getRequestURI().getPath());
            Duration wait = delay;
            if (!wait.isZero()) {
                try {
                    Thread.sleep(wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return; // shutting down
                }
            }
            int size = bodyBytes;
            byte[] bytes = size < 0 ? id.getBytes(StandardCharsets.UTF_8) : new byte[size];
            exchange.getResponseHeaders().add("x-backend", id);
            if (exchange.getRequestMethod().equals("HEAD")) { // the length of what a GET would get, and no body
                exchange.getResponseHeaders().set("Content-Length", Integer.toString(bytes.length));
                exchange.sendResponseHeaders(status, -1);
                return;
            }
            exchange.sendResponseHeaders(status, chunked ? 0 : bytes.length); // 0: chunked
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            } catch (IOException e) {
                // the client stopped reading: what the test is about, in some of them
            }
        }
    }

    public String id() {
        return id;
    }

    /** {@code 127.0.0.1:port}. */
    public String address() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    public int hits() {
        return hits.get();
    }

    /** Headers of every request received, oldest first. */
    public List<Headers> requests() {
        return List.copyOf(requests);
    }

    /** Paths of every request received, oldest first. */
    public List<String> paths() {
        return List.copyOf(paths);
    }

    public Backend delay(Duration newDelay) {
        this.delay = newDelay;
        return this;
    }

    /** Answers with a body of {@code bytes} zero bytes, with a Content-Length or chunked. */
    public Backend body(int bytes, boolean sendChunked) {
        this.bodyBytes = bytes;
        this.chunked = sendChunked;
        return this;
    }

    public Backend status(int newStatus) {
        this.status = newStatus;
        return this;
    }

    /** Stops listening: new connections are refused; requests in progress are abandoned. */
    public void stop() {
        if (!stopped) {
            stopped = true;
            server.stop(0);
            executor.shutdownNow();
        }
    }

    @Override
    public void close() {
        stop();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
