package dev.ballast.proxy;

import dev.ballast.proxy.config.ConfigLoader;
import dev.ballast.proxy.config.ConfigResult;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * Where the proxy's configuration comes from, and how it learns that it may have changed: a file
 * ({@code run -c FILE}), or a key in etcd that many proxies share ({@code run --config-etcd URL
 * --config-key KEY}).
 */
interface ConfigSource {

    /** What log lines and problems call it: the file's path, or {@code etcd:KEY}. */
    String name();

    /** Reads and validates the configuration now. Blocks, boundedly; never throws for bad input. */
    ConfigResult load();

    /**
     * Starts following changes: {@code reload} is called with a trigger word (for logs and events)
     * each time the configuration may have changed. Closing the handle stops it.
     */
    AutoCloseable follow(Consumer<String> reload) throws IOException;

    static ConfigSource file(Path file) {
        return new FileSource(file);
    }

    /**
     * @param cluster       client URLs of the etcd cluster's members
     * @param timeoutMillis bounds each read
     * @param key           the key whose value is the YAML configuration
     */
    static ConfigSource etcd(List<URI> cluster, long timeoutMillis, String key) {
        return new EtcdConfigSource(cluster, timeoutMillis, key);
    }

    /** A YAML file, watched through its directory ({@link ConfigWatcher}). */
    record FileSource(Path file) implements ConfigSource {

        @Override
        public String name() {
            return file.toString();
        }

        @Override
        public ConfigResult load() {
            return ConfigLoader.load(file);
        }

        @Override
        public AutoCloseable follow(Consumer<String> reload) throws IOException {
            return ConfigWatcher.start(file, () -> reload.accept("file change"));
        }
    }
}
