package dev.ballast.proxy.discovery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import dev.ballast.proxy.config.EtcdDiscoveryConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Follows every key under an etcd prefix: reads them all, then watches the prefix from the revision
 * it read at, and hands the listener the whole set after each change. When the watch breaks (the
 * member went away, the revision was compacted, the stream ended), it reads the prefix again from the
 * next member, with a growing pause between failures, so a change missed meanwhile is never lost.
 *
 * <p>While etcd cannot be reached the listener hears nothing, so the endpoints read last stay in
 * use: an etcd outage must not take healthy endpoints out of rotation. Keys that expire with their
 * lease (a service instance that stopped renewing it) are deletions like any other.
 *
 * <p>Runs on a virtual thread of its own; the listener is called on it, one call at a time.
 */
public final class EtcdWatch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EtcdWatch.class);
    private static final long FIRST_PAUSE_MILLIS = 100;
    private static final long MAX_PAUSE_MILLIS = 5_000;

    /** Told the whole set of keys under the prefix, and their values, after each change. */
    @FunctionalInterface
    public interface Listener {
        void changed(SortedMap<String, String> values);
    }

    /**
     * Where the watch stands, for {@code /status}.
     *
     * @param member    the member it reads from now, or null while none answers
     * @param revision  the cluster revision of the values handed on last; 0 before the first read
     * @param keys      how many keys the prefix holds, as handed on last
     * @param lastError the last failure, or null; kept after recovery, with {@code member} set again
     */
    public record Status(URI member, long revision, int keys, String lastError) {
    }

    private final String owner;
    private final EtcdDiscoveryConfig config;
    private final Listener listener;
    private final EtcdClient client;
    private volatile Status status = new Status(null, 0, 0, null);
    private volatile boolean closed;
    private volatile InputStream stream;
    /** Why the liveness check closed the stream, for the log; null when it did not. */
    private volatile String livenessFailure;
    private Thread thread;

    /**
     * @param owner    what the log calls the watch's user (e.g. {@code upstream api})
     * @param config   the cluster and the prefix
     * @param listener told the whole set after each change, on the watch's thread
     */
    public EtcdWatch(String owner, EtcdDiscoveryConfig config, Listener listener) {
        this.owner = owner;
        this.config = config;
        this.listener = listener;
        this.client = new EtcdClient(Duration.ofMillis(config.timeoutMillis()));
    }

    public synchronized void start() {
        if (thread == null && !closed) {
            thread = Thread.ofVirtual().name("ballast-etcd-" + owner).start(this::run);
        }
    }

    public Status status() {
        return status;
    }

    private void run() {
        int next = 0;
        long pause = FIRST_PAUSE_MILLIS;
        boolean failing = false;
        while (!closed) {
            URI member = config.cluster().get(next);
            try {
                EtcdClient.Range range = client.range(member, config.prefix());
                SortedMap<String, String> values = new TreeMap<>(range.values());
                if (failing) {
                    log.info("{}: etcd {} answers again: {} keys under {} at revision {}", owner, member,
                            values.size(), config.prefix(), range.revision());
                    failing = false;
                }
                pause = FIRST_PAUSE_MILLIS;
                handOn(member, range.revision(), values);
                follow(member, range.revision(), values);
                throw new IOException("the watch stream ended");
            } catch (IOException | RuntimeException e) {
                if (closed) {
                    return;
                }
                String problem = livenessFailure != null ? livenessFailure
                        : e.getMessage() == null ? e.toString() : e.getMessage();
                livenessFailure = null;
                status = new Status(null, status.revision(), status.keys(), problem);
                if (!failing) {
                    log.warn("{}: cannot follow etcd {} ({}); keeping the {} endpoints read last, trying again",
                            owner, member, problem, status.keys());
                    failing = true;
                } else {
                    log.debug("{}: etcd {} still failing: {}", owner, member, problem);
                }
                next = (next + 1) % config.cluster().size();
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException interrupted) {
                    return;
                }
                pause = Math.min(pause * 2, MAX_PAUSE_MILLIS);
            } catch (InterruptedException e) {
                return; // closed
            }
        }
    }

    /** Applies the watch's events to {@code values} as they come, until the stream breaks. */
    private void follow(URI member, long revision, SortedMap<String, String> values)
            throws IOException, InterruptedException {
        Thread liveness = null;
        try (InputStream watch = client.watch(member, config.prefix(), revision + 1)) {
            stream = watch;
            if (closed) {
                return;
            }
            liveness = Thread.ofVirtual().name("ballast-etcd-liveness-" + owner)
                    .start(() -> checkLiveness(member, watch));
            MappingIterator<JsonNode> messages = EtcdClient.messages(watch);
            while (messages.hasNextValue()) {
                JsonNode message = messages.nextValue();
                EtcdClient.failIfError(message, member);
                JsonNode result = message.path("result");
                if (result.path("canceled").asBoolean(false)) {
                    long compacted = result.path("compact_revision").asLong(0);
                    throw new IOException(compacted > 0
                            ? "revision " + (revision + 1) + " was compacted (to " + compacted + "): reading again"
                            : "the watch was cancelled: " + result.path("cancel_reason").asText("no reason given"));
                }
                boolean changed = false;
                for (JsonNode event : result.path("events")) {
                    String key = EtcdClient.text(event.path("kv").path("key"));
                    if ("DELETE".equals(event.path("type").asText())) {
                        changed |= values.remove(key) != null;
                    } else {
                        String value = EtcdClient.text(event.path("kv").path("value"));
                        changed |= !Objects.equals(values.put(key, value), value);
                    }
                }
                if (result.has("header")) {
                    revision = EtcdClient.revision(result.path("header"), member);
                }
                if (changed) {
                    handOn(member, revision, values);
                }
            }
        } finally {
            stream = null;
            if (liveness != null) {
                liveness.interrupt();
            }
        }
    }

    /**
     * Every two timeouts, while {@code watch} is the open stream, asks {@code member} whether it is
     * there; if it does not answer within the timeout, closes the stream, so that the watch fails over
     * to the next member and reads the prefix again. A watch stream carries nothing while nothing
     * changes, so a member that hangs, or a connection that died without a reset (a host gone, a
     * partition), would otherwise leave the watch waiting for ever.
     */
    private void checkLiveness(URI member, InputStream watch) {
        try {
            while (true) {
                Thread.sleep(2 * config.timeoutMillis());
                if (closed || stream != watch) {
                    return;
                }
                try {
                    client.ping(member);
                } catch (IOException e) {
                    if (stream == watch && !closed) {
                        livenessFailure = "no answer to a liveness check within " + config.timeoutMillis() + " ms ("
                                + (e.getMessage() == null ? e.toString() : e.getMessage()) + ")";
                        watch.close();
                    }
                    return;
                }
            }
        } catch (InterruptedException | IOException e) {
            // the watch ended, or is ending
        }
    }

    private void handOn(URI member, long revision, SortedMap<String, String> values) {
        status = new Status(member, revision, values.size(), status.lastError());
        listener.changed(Collections.unmodifiableSortedMap(new TreeMap<>(values)));
    }

    /** Stops following; the listener is not called after this returns, bar a call already under way. */
    @Override
    public synchronized void close() {
        closed = true;
        if (thread != null) {
            thread.interrupt();
        }
        InputStream open = stream;
        if (open != null) {
            try {
                open.close();
            } catch (IOException ignored) {
                // closing only to end the watch
            }
        }
        client.close();
    }
}
