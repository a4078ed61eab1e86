package dev.ballast.proxy;

import dev.ballast.proxy.config.ConfigLoader;
import dev.ballast.proxy.config.ConfigProblem;
import dev.ballast.proxy.config.ConfigResult;
import dev.ballast.proxy.discovery.EtcdWatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

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
    /** The document read last, by a load or by the watch: a watch event with the same text reloads nothing. */
    private volatile String lastSeen;

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
    public ConfigResult load() {
        Optional<String> yaml;
        try {
            yaml = EtcdWatch.read(cluster, timeoutMillis, key);
        } catch (IOException e) {
            return unreadable("cannot read from etcd " + cluster + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return unreadable("interrupted while reading from etcd");
        }
        if (yaml.isEmpty()) {
            return unreadable("no such key in etcd " + cluster + " (put the configuration there first, e.g."
                    + " etcdctl put " + key + " < ballast.yaml)");
        }
        lastSeen = yaml.get();
        return ConfigLoader.parse(yaml.get(), name());
    }

    private ConfigResult unreadable(String message) {
        return new ConfigResult(null, List.of(new ConfigProblem(name(), message, 0)), List.of());
    }

    @Override
    public AutoCloseable follow(Consumer<String> reload) {
        EtcdWatch watch = new EtcdWatch("configuration", cluster, timeoutMillis, key, values -> {
            String yaml = values.get(key); // the watch follows a prefix: keys that only start with this one do not count
            if (yaml == null) {
                if (lastSeen != null) {
                    log.warn("etcd key {} was deleted; keeping the configuration in force", key);
                    lastSeen = null;
                }
                return;
            }
            if (!Objects.equals(yaml, lastSeen)) {
                lastSeen = yaml;
                reload.accept("etcd change");
            }
        });
        watch.start();
        log.info("following etcd key {} for changes", key);
        return watch;
    }
}
