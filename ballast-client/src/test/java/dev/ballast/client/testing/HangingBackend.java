package dev.ballast.client.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A raw TCP backend that reads a request and never answers (or answers only part of the body), and
 * notices when the client goes away: the server's view of a cancelled call.
 */
public final class HangingBackend implements AutoCloseable {

    private final ServerSocket server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final CountDownLatch received = new CountDownLatch(1);
    private final CountDownLatch disconnected = new CountDownLatch(1);
    private volatile boolean sendHeaders;

    public HangingBackend() {
        try {
            server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        executor.execute(this::accept);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                executor.execute(() -> hold(socket));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void hold(Socket socket) {
        try (socket; InputStream in = socket.getInputStream()) {
            byte[] buffer = new byte[4096];
            boolean seen = false;
            int read;
            while ((read = in.read(buffer)) >= 0) {
                if (read > 0 && !seen) {
                    seen = true;
                    received.countDown();
                    if (sendHeaders) { // a response that starts and never finishes its body
                        socket.getOutputStream().write(
                                "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part".getBytes());
                        socket.getOutputStream().flush();
                    }
                }
            }
            disconnected.countDown(); // end of stream: the client closed the connection
        } catch (IOException reset) {
            disconnected.countDown();
        }
    }

    /** Answers with headers and part of the body, then stalls. */
    public HangingBackend stallInBody() {
        this.sendHeaders = true;
        return this;
    }

    public String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    public boolean awaitRequest(long millis) throws InterruptedException {
        return received.await(millis, TimeUnit.MILLISECONDS);
    }

    public boolean awaitDisconnect(long millis) throws InterruptedException {
        return disconnected.await(millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() throws IOException {
        server.close();
        executor.shutdownNow();
    }
}
