package dev.ballast.proxy.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

/**
 * A listener on loopback that never accepts and whose accept queue is full: the kernel drops further
 * SYNs, so a connect to it neither succeeds nor fails until the connector's own timeout, as with a
 * host that is down.
 */
public final class FullAcceptQueue implements AutoCloseable {

    private final ServerSocket listener;
    private final List<Socket> fillers = new ArrayList<>();

    private FullAcceptQueue(ServerSocket listener) {
        this.listener = listener;
    }

    /**
     * Opens connections until two in a row cannot (one slow connect on a busy machine is not proof):
     * the queue is then full.
     */
    public static FullAcceptQueue open() throws IOException {
        FullAcceptQueue queue = new FullAcceptQueue(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
        try {
            int timedOut = 0;
            for (int i = 0; i < 64 && timedOut < 2; i++) {
                Socket socket = new Socket();
                queue.fillers.add(socket);
                try {
                    socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), queue.port()), 300);
                    timedOut = 0;
                } catch (SocketTimeoutException full) {
                    timedOut++;
                }
            }
            if (timedOut < 2) {
                throw new IllegalStateException("the accept queue of port " + queue.port() + " did not fill up");
            }
            return queue;
        } catch (IOException | RuntimeException e) {
            queue.close();
            throw e;
        }
    }

    public int port() {
        return listener.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        for (Socket socket : fillers) {
            socket.close();
        }
        listener.close();
    }
}
