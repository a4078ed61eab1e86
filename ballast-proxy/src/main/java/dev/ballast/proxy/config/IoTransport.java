package dev.ballast.proxy.config;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * {@code transport}: the kernel interface the proxy's sockets use. Each falls back to the next one
 * down when the kernel, the platform or a sandbox (seccomp) does not offer it: io_uring, then epoll,
 * then the JDK's portable NIO.
 */
public enum IoTransport {

    /** Linux io_uring (kernel 5.14 or later): reads and writes queued to the kernel in batches. */
    IO_URING("io_uring"),
    /** Linux epoll, level with NGINX's and HAProxy's event loops; the default. */
    EPOLL("epoll"),
    /** The JDK's NIO selector: any platform. */
    NIO("nio");

    public static final IoTransport DEFAULT = EPOLL;

    private final String id;

    IoTransport(String id) {
        this.id = id;
    }

    /** The value in the configuration file, e.g. {@code io_uring}; also its form in {@code GET /config}. */
    @JsonValue
    public String id() {
        return id;
    }

    public static List<String> ids() {
        return Arrays.stream(values()).map(IoTransport::id).toList();
    }

    public static Optional<IoTransport> byId(String id) {
        return Arrays.stream(values()).filter(transport -> transport.id.equals(id)).findFirst();
    }
}
