package dev.ballast.core.endpoint;

import java.net.URI;

/**
 * Something followed in a distributed store (the endpoints under an etcd prefix, a configuration
 * under a key): started once, told about by {@link #status()}, stopped by {@link #close()}. What it
 * delivers, and to whom, was fixed when it was made ({@link EndpointSource#watch}).
 */
public interface Watch extends AutoCloseable {

    /** Starts following, on a thread of the watch's own; does nothing when started or closed already. */
    void start();

    /** Where the watch stands now; cheap, for {@code /status} and metrics. */
    Status status();

    /** Stops following; the listener is not called once this has returned. */
    @Override
    void close();

    /**
     * Where a watch stands.
     *
     * @param server    the server that answered last, or null from a failure until one answers again
     * @param revision  the store's version of what was handed on last (etcd's revision); 0 before the first read
     * @param entries   how many entries (keys) were handed on last
     * @param lastError the last failure, in words, or null if none since the watch started; it stays after
     *                  a recovery, which {@code server} being set again shows
     */
    record Status(URI server, long revision, int entries, String lastError) {

        public static final Status NOT_STARTED = new Status(null, 0, 0, null);

        /** Whether the store answers the watch now. */
        public boolean connected() {
            return server != null;
        }
    }
}
