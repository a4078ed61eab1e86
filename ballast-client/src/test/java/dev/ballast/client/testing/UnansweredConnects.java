package dev.ballast.client.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A port on 127.0.0.1 where a connect is never answered, as with a host that drops packets: a
 * listening socket that never accepts, its accept queue filled, so that Linux drops the SYNs of
 * further connects (the client's connect timeout decides). Loopback only.
 */
public final class UnansweredConnects implements AutoCloseable {

    private final ServerSocket server;
    private final List<Socket> queued = new ArrayList<>();

    public UnansweredConnects() {
        try {
            server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            for (int i = 0; i < 4; i++) { // more than the queue of a backlog of 1 holds
                Socket socket = new Socket();
                try {
                    socket.connect(server.getLocalSocketAddress(), 200);
                    queued.add(socket);
                } catch (IOException full) {
                    socket.close();
                    return; // the queue is full: this connect went unanswered
                }
            }
            close();
            throw new IllegalStateException("the accept queue never filled: connects would be answered");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code 127.0.0.1:port}. */
    public String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        for (Socket socket : queued) {
            socket.close();
        }
        server.close();
    }
}
