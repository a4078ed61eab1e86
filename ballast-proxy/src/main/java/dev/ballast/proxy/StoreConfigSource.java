package dev.ballast.proxy;

import dev.ballast.core.config.ConfigStore;
import dev.ballast.core.endpoint.Watch;
import dev.ballast.core.endpoint.WatchTarget;
import dev.ballast.proxy.config.ConfigFile;
import dev.ballast.proxy.config.ConfigLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * The configuration as the value of one key of a distributed store (etcd), which every proxy of a fleet
 * reads and follows: a {@code put} of a new document reloads them all, each validating it first as a
 * reload of a file does (an invalid one is refused and the running configuration keeps serving). A
 * deleted key changes nothing: a proxy keeps its configuration, with a warning, rather than stop serving.
 *
 * <p>A reload asked for while the store does not answer (SIGHUP, {@code POST /reload}) is refused, and
 * tried again, with growing pauses, until the store answers: the configuration is then applied as
 * read, so a reload asked for during an outage is not lost, nor left reported as failed.
 */
final class StoreConfigSource implements ConfigSource {

    private static final Logger log = LoggerFactory.getLogger(StoreConfigSource.class);
    private static final long FIRST_RETRY_MILLIS = 1_000;
    private static final long MAX_RETRY_MILLIS = 30_000;

    private final ConfigStore store;
    private final WatchTarget target;
    /** The document read last: the watch's first read is a change only if it differs from this. */
    private volatile byte[] lastRead;
    private volatile Watch watch;
    /** Where a reload tried again after the store did not answer hands its document; null until followed. */
    private volatile Tracker tracker;
    /** A read is being tried again: one at a time. */
    private final AtomicBoolean retrying = new AtomicBoolean();
    private volatile boolean closed;

    StoreConfigSource(ConfigStore store, WatchTarget target) {
        this.store = store;
        this.target = target;
    }

    @Override
    public String name() {
        return store.system() + ":" + target.path();
    }

    @Override
    public String read() throws IOException {
        Optional<byte[]> value;
        try {
            value = store.read(target);
        } catch (IOException e) {
            boolean retried = retryLater();
            throw new IOException("cannot read from " + store.system() + ": " + e.getMessage()
                    + (retried ? "; the reload is tried again once " + store.system() + " answers" : ""), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading from " + store.system(), e);
        }
        if (value.isEmpty()) {
            throw new IOException("no such key in " + store.system() + " " + target.servers() + " (put the"
                    + " configuration there first, e.g. etcdctl put " + target.path() + " < ballast.yaml)");
        }
        lastRead = value.get();
        return text(value.get());
    }

    /** The document, by the rules a file is read by (size, UTF-8). */
    private static String text(byte[] value) throws IOException {
        try {
            return ConfigFile.text(value);
        } catch (IOException e) {
            throw new IOException(ConfigLoader.readFailure(e), e);
        }
    }

    /**
     * Hands on each new document as the watch delivers it, so a reload applies exactly what was put
     * (reading the key again could fail, or return a later put first). The watch's first read is a
     * change only if the document differs from the one the proxy started with.
     */
    @Override
    public AutoCloseable follow(BiConsumer<String, String> changed) {
        Tracker following = new Tracker(changed);
        following.last = lastRead; // what the proxy started with
        Watch started = store.watch(target, document -> following.seen(document, false));
        watch = started;
        tracker = following;
        started.start();
        log.info("following {} key {} for changes", store.system(), target.path());
        return () -> {
            closed = true;
            started.close();
        };
    }

    /**
     * After a read for a reload failed: reads again on a thread of its own, with growing pauses, until
     * the store answers, then hands the document on as a change, even if it is the one in force (the
     * reload was asked for, and reported failed). Not before following starts: at start a failed read
     * ends the command. Returns whether a retry is under way.
     */
    private boolean retryLater() {
        Tracker following = tracker;
        if (following == null || closed) {
            return false;
        }
        if (!retrying.compareAndSet(false, true)) {
            return true;
        }
        Thread.ofVirtual().name("ballast-config-retry").start(() -> {
            long pause = FIRST_RETRY_MILLIS;
            try {
                while (!closed) {
                    Thread.sleep(pause);
                    try {
                        Optional<byte[]> document = store.read(target);
                        if (!closed) {
                            log.info("{} answers again: applying the reload asked for while it did not",
                                    store.system());
                            following.seen(document, true);
                        }
                        return;
                    } catch (IOException e) {
                        pause = Math.min(pause * 2, MAX_RETRY_MILLIS);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                retrying.set(false);
            }
        });
        return true;
    }

    @Override
    public Watch.Status followStatus() {
        Watch following = watch;
        return following == null ? null : following.status();
    }

    /** What the watch saw last: called on the watch's thread, and by a retried read, one call at a time. */
    private final class Tracker {

        private final BiConsumer<String, String> changed;
        private byte[] last;
        private boolean deleted;

        Tracker(BiConsumer<String, String> changed) {
            this.changed = changed;
        }

        /** {@code retried}: a reload that failed to read is being completed, so the same document is news too. */
        synchronized void seen(Optional<byte[]> document, boolean retried) {
            if (document.isEmpty()) {
                if (!deleted) {
                    log.warn("{} key {} was deleted; keeping the configuration in force", store.system(),
                            target.path());
                    deleted = true;
                }
                return;
            }
            deleted = false;
            byte[] yaml = document.get();
            if (retried || !Arrays.equals(yaml, last)) {
                last = yaml;
                String text;
                try {
                    text = text(yaml);
                } catch (IOException e) {
                    text = null; // read it again: the reload is refused with the same message as at start
                }
                changed.accept(retried ? store.system() + " answers again" : store.system() + " change", text);
            }
        }
    }
}
