package dev.ballast.discovery.etcd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import dev.ballast.core.endpoint.Watch;
import dev.ballast.core.endpoint.WatchTarget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Follows every key under an etcd prefix: reads them all, then watches the prefix from the revision
 * it read at, and hands the listener the whole set after each change. When the watch breaks (the
 * member went away or lost its leader, the revision was compacted, the stream ended), it reads the
 * prefix again, from whichever member answers first, with a growing pause between failures, so a
 * change missed meanwhile is never lost.
 *
 * <p>A watch stream is quiet while nothing changes, so a member that hangs, or a connection that died
 * without a reset (a host gone, a partition, a middlebox that forgot it), would leave it waiting for
 * ever. Every two timeouts the member is asked what the prefix holds: no answer within the timeout,
 * or an answer the watch has not caught up with, ends the watch, and the prefix is read again.
 *
 * <p>While etcd cannot be reached the listener hears nothing, so the endpoints read last stay in
 * use: an etcd outage must not take healthy endpoints out of rotation. Keys that expire with their
 * lease (a service instance that stopped renewing it) are deletions like any other.
 *
 * <p>Runs on a virtual thread of its own; the listener is called on it, one call at a time, never
 * after {@link #close} returned.
 */
public final class EtcdWatch implements Watch {

    private static final Logger log = LoggerFactory.getLogger(EtcdWatch.class);
    private static final long FIRST_PAUSE_MILLIS = 100;
    private static final long MAX_PAUSE_MILLIS = 5_000;
    /** How long a liveness check lets a watch catch up with a change it saw before it gives the watch up. */
    private static final long CATCH_UP_MILLIS = 1_000;
    /**
     * How long a watch must stay up before its end starts the pauses from the shortest again: a member
     * that accepts watches and kills them at once must not be asked again ten times a second.
     */
    static final long STABLE_MILLIS = 10_000;

    /** Told the whole set of keys under the prefix, and their values, after each change. */
    @FunctionalInterface
    public interface Listener {
        void changed(SortedMap<String, EtcdValue> values);
    }

    private final String owner;
    private final List<URI> cluster;
    private final long timeoutMillis;
    private final String prefix;
    /** Follow only the key {@code prefix} itself, not the keys that start with it. */
    private final boolean exact;
    private final Listener listener;
    private final EtcdClient client;
    private volatile Status status = Status.NOT_STARTED;
    private volatile boolean closed;
    /** The open watch stream, if any: closed to end the watch from another thread. */
    private volatile InputStream stream;
    /** Why the liveness check ended the watch, for the log; null when it did not. */
    private volatile String livenessFailure;
    /** The revision and key count the watch has seen last, for the liveness check. */
    private volatile long seenRevision;
    private volatile int seenCount;
    /** Failing since the last watch was created: a failure is logged only when it starts a streak. Watch thread only. */
    private boolean failing;
    /** The pause before the next try, grown by each failure of a streak. Watch thread only. */
    private long pause = FIRST_PAUSE_MILLIS;
    /** When the open watch was created ({@code System.nanoTime}), or 0 while none is. Watch thread only. */
    private long createdAtNanos;
    /** {@link #STABLE_MILLIS} in nanoseconds; shorter only in tests ({@link #stableAfter}). Set before start. */
    private long stableNanos = STABLE_MILLIS * 1_000_000;
    private Thread thread;

    /**
     * A watch of every key under the target's path (a prefix).
     *
     * @param target   who watches (for the log), the cluster, the timeout that bounds every read of a
     *                 member, the prefix, and the login if the cluster asks for one
     * @param listener told the whole set after each change, on the watch's thread
     */
    public static EtcdWatch ofPrefix(WatchTarget target, Listener listener) {
        return new EtcdWatch(target, false, listener);
    }

    /** For tests: a watch counts as having stayed up after {@code millis} instead of {@link #STABLE_MILLIS}. */
    EtcdWatch stableAfter(long millis) {
        this.stableNanos = millis * 1_000_000;
        return this;
    }

    /**
     * A watch of the one key that is the target's path: the listener is told a map that holds it, or is
     * empty once it was deleted.
     */
    public static EtcdWatch ofKey(WatchTarget target, Listener listener) {
        return new EtcdWatch(target, true, listener);
    }

    /**
     * @param target   what to follow: every key that starts with its path, or only the path itself when
     *                 {@code exact}
     * @param exact    follow the one key that is the target's path
     * @param listener told the whole set after each change, on the watch's thread
     */
    private EtcdWatch(WatchTarget target, boolean exact, Listener listener) {
        this.owner = target.owner();
        this.cluster = target.servers();
        this.timeoutMillis = target.timeoutMillis();
        this.prefix = target.path();
        this.exact = exact;
        this.listener = listener;
        this.client = new EtcdClient(Duration.ofMillis(timeoutMillis), target.credentials(), target.tls());
    }

    /**
     * The value of the key that is the target's path now, read from whichever member answers first;
     * empty when there is no such key. Blocks up to the target's timeout.
     *
     * @throws IOException when no member answers in time, saying why
     */
    public static Optional<EtcdValue> read(WatchTarget target) throws IOException, InterruptedException {
        try (EtcdClient client = new EtcdClient(Duration.ofMillis(target.timeoutMillis()), target.credentials(),
                target.tls())) {
            return Optional.ofNullable(client.get(target.servers(), target.path()).values().get(target.path()));
        }
    }

    @Override
    public synchronized void start() {
        if (thread == null && !closed) {
            thread = Thread.ofVirtual().name("ballast-etcd-" + owner).start(this::run);
        }
    }

    @Override
    public Status status() {
        return status;
    }

    private void run() {
        while (!closed) {
            try {
                EtcdClient.Range range = exact ? client.get(cluster, prefix) : client.range(cluster, prefix);
                SortedMap<String, EtcdValue> values = new TreeMap<>(range.values());
                handOn(range.member(), range.revision(), values);
                follow(range.member(), range.revision(), values);
                throw new IOException("the watch stream ended");
            } catch (IOException | RuntimeException e) {
                if (closed) {
                    return;
                }
                String problem = livenessFailure != null ? livenessFailure : EtcdClient.describe(e);
                livenessFailure = null;
                if (createdAtNanos != 0 && System.nanoTime() - createdAtNanos >= stableNanos) {
                    pause = FIRST_PAUSE_MILLIS; // it had been up a while: a new outage, not the same one
                }
                createdAtNanos = 0;
                status = new Status(null, status.revision(), status.entries(), problem);
                if (!failing) {
                    log.warn("{}: cannot follow {} in etcd ({}); keeping what it read last, trying again",
                            owner, prefix, problem);
                    failing = true;
                } else {
                    log.debug("{}: etcd still failing: {}", owner, problem);
                }
                try {
                    // Jittered, so that many proxies do not come back to a recovering cluster all at once.
                    Thread.sleep(pause / 2 + ThreadLocalRandom.current().nextLong(pause / 2 + 1));
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
    private void follow(URI member, long revision, SortedMap<String, EtcdValue> values)
            throws IOException, InterruptedException {
        Thread liveness = null;
        try (InputStream watch = client.watch(member, prefix, exact, revision + 1)) {
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
                    String reason = result.path("cancel_reason").asText("no reason given");
                    client.forgetTokenIfRefused(member, reason); // the next try logs in again
                    throw new IOException(compacted > 0
                            ? "the revisions up to " + compacted + " were compacted away: reading the prefix again"
                            : "the watch was cancelled: " + reason + client.loginHint(reason));
                }
                if (result.path("created").asBoolean(false)) {
                    createdAtNanos = System.nanoTime();
                    if (failing) {
                        log.info("{}: following {} in etcd again, from {} at revision {}", owner, prefix, member,
                                revision);
                        failing = false; // the next failure is logged; the pause shortens once the watch stays up
                    }
                }
                boolean changed = false;
                for (JsonNode event : result.path("events")) {
                    String key = EtcdClient.text(event.path("kv").path("key"));
                    if ("DELETE".equals(event.path("type").asText())) {
                        changed |= values.remove(key) != null;
                    } else {
                        EtcdValue value = EtcdClient.value(event.path("kv").path("value"));
                        changed |= !Objects.equals(values.put(key, value), value);
                    }
                }
                if (result.has("header")) {
                    revision = Math.max(revision, EtcdClient.revision(result.path("header"), member));
                }
                if (changed) {
                    handOn(member, revision, values);
                } else {
                    seenRevision = revision;
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
     * Every two timeouts, while {@code watch} is the open stream, asks {@code member} what the prefix
     * holds. No answer within the timeout (a hung member, one cut off from its leader, a dead
     * connection to a host gone), or an answer with a change the watch has not caught up with after a
     * moment (a watch connection that died quietly), closes the stream.
     */
    private void checkLiveness(URI member, InputStream watch) {
        try {
            while (true) {
                Thread.sleep(2 * timeoutMillis);
                if (closed || stream != watch) {
                    return;
                }
                String problem = behind(member);
                if (problem != null && stream == watch && !closed) {
                    livenessFailure = problem;
                    watch.close();
                    return;
                }
            }
        } catch (InterruptedException | IOException e) {
            // the watch ended, or is ending
        }
    }

    /** Why the watch cannot be trusted now, or null when it can. */
    private String behind(URI member) throws InterruptedException {
        EtcdClient.Summary summary;
        try {
            summary = client.summary(member, prefix, exact);
        } catch (IOException e) {
            return "etcd " + member + " failed a liveness check: " + EtcdClient.describe(e);
        }
        long revision = seenRevision;
        if (summary.lastModified() <= revision && summary.count() == seenCount) {
            return null;
        }
        Thread.sleep(Math.min(CATCH_UP_MILLIS, timeoutMillis)); // the event may be on its way
        boolean caughtUp = seenRevision >= summary.lastModified()
                && (summary.count() == seenCount || seenRevision > revision);
        return caughtUp ? null : "the watch on etcd " + member + " missed a change (the prefix holds "
                + summary.count() + " keys, last changed at revision " + summary.lastModified() + "; the watch saw "
                + seenCount + " at revision " + seenRevision + ")";
    }

    private void handOn(URI member, long revision, SortedMap<String, EtcdValue> values) {
        seenRevision = revision;
        seenCount = values.size();
        status = new Status(member, revision, values.size(), status.lastError());
        synchronized (this) {
            if (closed) {
                return;
            }
            try {
                listener.changed(Collections.unmodifiableSortedMap(new TreeMap<>(values)));
            } catch (RuntimeException e) {
                // The listener's own failure: following etcd again would not mend it.
                log.error("{}: applying the keys under {} failed: {}", owner, prefix, e.toString());
            }
        }
    }

    /** Stops following; the listener is not called once this has returned. */
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
