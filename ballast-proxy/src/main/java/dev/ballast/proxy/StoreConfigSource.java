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
import java.util.function.BiConsumer;

/**
 * The configuration as the value of one key of a distributed store (etcd), which every proxy of a fleet
 * reads and follows: a {@code put} of a new document reloads them all, each validating it first as a
 * reload of a file does (an invalid one is refused and the running configuration keeps serving). A
 * deleted key changes nothing: a proxy keeps its configuration, with a warning, rather than stop serving.
 */
final class StoreConfigSource implements ConfigSource {

    private static final Logger log = LoggerFactory.getLogger(StoreConfigSource.class);

    private final ConfigStore store;
    private final WatchTarget target;
    /** The document read last: the watch's first read is a change only if it differs from this. */
    private volatile byte[] lastRead;
    private volatile Watch watch;

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
            throw new IOException("cannot read from " + store.system() + ": " + e.getMessage(), e);
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
        Tracker tracker = new Tracker(changed);
        tracker.last = lastRead; // what the proxy started with
        Watch started = store.watch(target, tracker::seen);
        watch = started;
        started.start();
        log.info("following {} key {} for changes", store.system(), target.path());
        return started;
    }

    @Override
    public Watch.Status followStatus() {
        Watch following = watch;
        return following == null ? null : following.status();
    }

    /** What the watch saw last: called on the watch's thread, one call at a time. */
    private final class Tracker {

        private final BiConsumer<String, String> changed;
        private byte[] last;
        private boolean deleted;

        Tracker(BiConsumer<String, String> changed) {
            this.changed = changed;
        }

        void seen(Optional<byte[]> document) {
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
                String text;
                try {
                    text = text(yaml);
                } catch (IOException e) {
                    text = null; // read it again: the reload is refused with the same message as at start
                }
                changed.accept(store.system() + " change", text);
            }
        }
    }
}
