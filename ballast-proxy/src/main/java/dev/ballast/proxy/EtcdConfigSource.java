package dev.ballast.proxy;

import dev.ballast.discovery.etcd.EtcdValue;
import dev.ballast.discovery.etcd.EtcdWatch;
import dev.ballast.proxy.config.ConfigFile;
import dev.ballast.proxy.config.ConfigLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.function.BiConsumer;

/**
 * The configuration as the value of one etcd key, which every proxy of a fleet reads and follows: a
 * {@code put} of a new document reloads them all, each validating it first as a reload of a file does
 * (an invalid one is refused and the running configuration keeps serving). A deleted key changes
 * nothing: a proxy keeps its configuration, with a warning, rather than stop serving.
 */
final class EtcdConfigSource implements ConfigSource {

    private static final Logger log = LoggerFactory.getLogger(EtcdConfigSource.class);

    private final List<URI> cluster;
    private final long timeoutMillis;
    private final String key;
    /** The document read last: the watch's first read is a change only if it differs from this. */
    private volatile EtcdValue lastRead;
    private volatile EtcdWatch watch;

    EtcdConfigSource(List<URI> cluster, long timeoutMillis, String key) {
        this.cluster = List.copyOf(cluster);
        this.timeoutMillis = timeoutMillis;
        this.key = key;
    }

    @Override
    public String name() {
        return "etcd:" + key;
    }

    @Override
    public String read() throws IOException {
        Optional<EtcdValue> value;
        try {
            value = EtcdWatch.read(cluster, timeoutMillis, key);
        } catch (IOException e) {
            throw new IOException("cannot read from etcd: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading from etcd", e);
        }
        if (value.isEmpty()) {
            throw new IOException("no such key in etcd " + cluster + " (put the configuration there first, e.g."
                    + " etcdctl put " + key + " < ballast.yaml)");
        }
        lastRead = value.get();
        return text(value.get());
    }

    /** The document, by the rules a file is read by (size, UTF-8). */
    private static String text(EtcdValue value) throws IOException {
        try {
            return ConfigFile.text(value.bytes());
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
        EtcdWatch started = EtcdWatch.ofKey("configuration", cluster, timeoutMillis, key, tracker::seen);
        watch = started;
        started.start();
        log.info("following etcd key {} for changes", key);
        return started;
    }

    @Override
    public EtcdWatch.Status followStatus() {
        EtcdWatch following = watch;
        return following == null ? null : following.status();
    }

    /** What the watch saw last: called on the watch's thread, one call at a time. */
    private final class Tracker {

        private final BiConsumer<String, String> changed;
        private EtcdValue last;
        private boolean deleted;

        Tracker(BiConsumer<String, String> changed) {
            this.changed = changed;
        }

        void seen(SortedMap<String, EtcdValue> values) {
            EtcdValue yaml = values.get(key);
            if (yaml == null) {
                if (!deleted) {
                    log.warn("etcd key {} was deleted; keeping the configuration in force", key);
                    deleted = true;
                }
                return;
            }
            deleted = false;
            if (!Objects.equals(yaml, last)) {
                last = yaml;
                String text;
                try {
                    text = text(yaml);
                } catch (IOException e) {
                    text = null; // read it again: the reload is refused with the same message as at start
                }
                changed.accept("etcd change", text);
            }
        }
    }
}
