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
 * asked for again once the store answers (probed with growing pauses), so a reload asked for during an
 * outage is not lost, nor left reported as failed. Every reload, a put's included, reads the key when
 * its turn comes, in order with the others: the last one applies what the key holds then, so no older
 * document can overtake a newer one, whatever order reads and watch deliveries interleave in.
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
    /** Hands on what the watch sees, and asks again for a reload that could not read; null until followed. */
    private volatile Tracker tracker;
    /** A retry waits for the store to answer: one at a time. */
    private final AtomicBoolean retrying = new AtomicBoolean();
    private volatile boolean closed;
    /** The thread waiting for the store to answer again, if any: interrupted on close. */
    private volatile Thread retry;

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
        Tracker following = tracker;
        if (following != null) {
            following.read(value.get());
        }
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
     * Asks for a reload for each new document the watch delivers. The reload reads the key at its
     * turn rather than apply the delivered document: a reload already queued (SIGHUP) may read a later
     * put first, and a delivered document applied after it would then put the proxy back on an older
     * one for good (the watch's delivery of the later put equals what that reload read, so nothing
     * follows). Should the read fail, the reload is asked for again once the store answers. The
     * watch's first read is a change only if the document differs from the one the proxy started with.
     */
    @Override
    public AutoCloseable follow(BiConsumer<String, String> changed) {
        Tracker following = new Tracker(changed);
        following.last = lastRead; // what the proxy started with
        Watch started = store.watch(target, following::seen);
        watch = started;
        tracker = following;
        started.start();
        log.info("following {} key {} for changes", store.system(), target.path());
        return () -> {
            closed = true;
            Thread waiting = retry;
            if (waiting != null) {
                waiting.interrupt();
            }
            started.close();
        };
    }

    /**
     * After a read for a reload failed: probes the store on a thread of its own, with growing pauses,
     * until it answers, then asks for the reload again (the proxy reads the key on its config reader,
     * in order with every other reload). Not before following starts: at start a failed read ends the
     * command. Returns whether a retry is under way.
     */
    private boolean retryLater() {
        Tracker following = tracker;
        if (following == null || closed) {
            return false;
        }
        if (!retrying.compareAndSet(false, true)) {
            return true;
        }
        retry = Thread.ofVirtual().name("ballast-config-retry").start(() -> {
            long pause = FIRST_RETRY_MILLIS;
            boolean asked = false;
            try {
                while (!closed) {
                    Thread.sleep(pause);
                    try {
                        store.read(target);
                    } catch (IOException e) {
                        log.debug("{} still does not answer: {}", store.system(), e.getMessage());
                        pause = Math.min(pause * 2, MAX_RETRY_MILLIS);
                        continue;
                    }
                    // Cleared before asking, and not after: should this reload fail too, the retry that
                    // failure starts must not be taken for this one's and let a third run beside it.
                    retrying.set(false);
                    asked = true;
                    following.askAgain();
                    return;
                }
            } catch (InterruptedException e) {
                // closed
            } finally {
                if (!asked) {
                    retrying.set(false);
                }
            }
        });
        return true;
    }

    @Override
    public Watch.Status followStatus() {
        Watch following = watch;
        return following == null ? null : following.status();
    }

    /** What the watch saw last, and the one way changes are handed on: one call at a time, none after close. */
    private final class Tracker {

        private final BiConsumer<String, String> changed;
        private byte[] last;
        private boolean deleted;

        Tracker(BiConsumer<String, String> changed) {
            this.changed = changed;
        }

        /**
         * A reload read {@code yaml} (while the watch was away, say): the watch's next delivery is a
         * change only if it differs from this. Else a put that restored the document the watch saw last
         * (a rollback) would not be applied, the proxy running the one the reload read.
         */
        synchronized void read(byte[] yaml) {
            last = yaml;
        }

        /** The store answers again after a reload could not read it: that reload is asked for again. */
        synchronized void askAgain() {
            if (!closed) {
                log.info("{} answers again: asking again for the reload that could not read it", store.system());
                changed.accept(store.system() + " answers again", null);
            }
        }

        synchronized void seen(Optional<byte[]> document) {
            if (closed) {
                return;
            }
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
            if (!Arrays.equals(yaml, last)) {
                last = yaml;
                changed.accept(store.system() + " change", null); // read at its turn: see follow()
            }
        }
    }
}
