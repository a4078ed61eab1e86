package dev.ballast.proxy;

import dev.ballast.core.config.ConfigStore;
import dev.ballast.core.endpoint.Watch;
import dev.ballast.core.endpoint.WatchTarget;
import dev.ballast.proxy.config.ConfigFile;
import dev.ballast.proxy.config.ConfigLoader;
import dev.ballast.proxy.config.ConfigProblem;
import dev.ballast.proxy.config.ConfigResult;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Where the proxy's configuration comes from, and how it learns that it may have changed: a file
 * ({@code -c FILE}), or a key in etcd that many proxies share ({@code --config-etcd URL --config-key KEY}).
 * Reads may block (a network round trip to etcd): never on an event loop or the control thread.
 */
interface ConfigSource {

    /** What log lines and problems call it: the file's path, or {@code etcd:KEY}. */
    String name();

    /**
     * The document as it is now.
     *
     * @throws IOException when it cannot be read, with a message for the user (e.g. {@code cannot read:
     *                     no such file}, or which etcd members failed and how)
     */
    String read() throws IOException;

    /** Reads and validates the configuration now; never throws for bad input or an unreadable source. */
    default ConfigResult load() {
        String text;
        try {
            text = read();
        } catch (IOException e) {
            return new ConfigResult(null, List.of(new ConfigProblem(name(), e.getMessage(), 0)), List.of());
        }
        return ConfigLoader.parse(text, name());
    }

    /**
     * Starts following changes: {@code changed} is told a trigger word (for logs and events) and the new
     * document, or null when it is to be read again, each time the configuration may have changed.
     * Closing the handle stops it.
     */
    AutoCloseable follow(BiConsumer<String, String> changed) throws IOException;

    /** How following goes, where there is more to tell than the name ({@code /status}); null for a file. */
    default Watch.Status followStatus() {
        return null;
    }

    static ConfigSource file(Path file) {
        return new FileSource(file);
    }

    /**
     * @param store  the store (etcd), as its module provides it
     * @param target where the store is, and the key whose value is the YAML configuration
     */
    static ConfigSource store(ConfigStore store, WatchTarget target) {
        return new StoreConfigSource(store, target);
    }

    /**
     * A YAML file, watched through its directory ({@link ConfigWatcher}). The watch starts once the proxy
     * serves, so it is told what {@link #load()} read: a save while the proxy started is a change too.
     */
    final class FileSource implements ConfigSource {

        private final Path file;
        private volatile String loaded;

        FileSource(Path file) {
            this.file = file;
        }

        Path file() {
            return file;
        }

        @Override
        public String name() {
            return file.toString();
        }

        @Override
        public String read() throws IOException {
            try {
                return ConfigFile.read(file);
            } catch (IOException e) {
                throw new IOException(ConfigLoader.readFailure(e), e);
            }
        }

        @Override
        public ConfigResult load() {
            String text;
            try {
                text = read();
            } catch (IOException e) {
                return ConfigLoader.load(file); // reads again, and reports the failure with the file's path
            }
            loaded = text;
            return ConfigLoader.parse(text, name());
        }

        @Override
        public AutoCloseable follow(BiConsumer<String, String> changed) throws IOException {
            String startedFrom = loaded;
            return ConfigWatcher.start(file, startedFrom == null ? null : startedFrom.getBytes(StandardCharsets.UTF_8),
                    () -> changed.accept("file change", null));
        }
    }
}
