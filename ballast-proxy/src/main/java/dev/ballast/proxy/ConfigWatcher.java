package dev.ballast.proxy;

import dev.ballast.proxy.config.ConfigFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Reloads when the configuration file's content changes. It watches the file's directory rather than
 * the file: editors save by writing a new file and renaming it, and Kubernetes swaps a symlinked
 * directory, and neither is an event on the original file. Events are debounced (a save is often
 * several), then the content is compared with what was last seen, so only a real change reloads.
 * One daemon thread; a failing reload is the reloader's business, not the watcher's.
 */
final class ConfigWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ConfigWatcher.class);
    static final long DEBOUNCE_MILLIS = 200;

    private final Path file;
    private final Runnable reload;
    private final WatchService watch;
    private final Thread thread;
    private byte[] lastSeen;

    private ConfigWatcher(Path file, Runnable reload) throws IOException {
        this.file = file.toAbsolutePath();
        this.reload = reload;
        this.lastSeen = read();
        this.watch = FileSystems.getDefault().newWatchService();
        this.file.getParent().register(watch, StandardWatchEventKinds.ENTRY_CREATE,
                StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
        this.thread = Thread.ofPlatform().daemon().name("ballast-config-watch").unstarted(this::run);
    }

    /** Starts watching {@code file}; {@code reload} runs on the watcher's thread after each change. */
    static ConfigWatcher start(Path file, Runnable reload) throws IOException {
        ConfigWatcher watcher = new ConfigWatcher(file, reload);
        watcher.thread.start();
        log.info("watching {} for changes", watcher.file);
        return watcher;
    }

    private void run() {
        try {
            while (true) {
                WatchKey key = watch.take();
                drain(key);
                // Quiet period: keep swallowing events until none came for the debounce time.
                while ((key = watch.poll(DEBOUNCE_MILLIS, TimeUnit.MILLISECONDS)) != null) {
                    drain(key);
                }
                byte[] now = read();
                if (now != null && !Arrays.equals(now, lastSeen)) {
                    lastSeen = now;
                    reloadQuietly();
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException stopped) {
            // closed
        }
    }

    /** A reload that throws is logged: the watcher must outlive it, or later saves go unseen. */
    private void reloadQuietly() {
        try {
            reload.run();
        } catch (RuntimeException e) {
            log.error("reload after a change of {} failed: {}", file, e.toString());
        }
    }

    private static void drain(WatchKey key) {
        key.pollEvents();
        key.reset();
    }

    /**
     * The file's bytes (up to just past the size limit: a file over it is seen to change, and its reload
     * is refused), or null while it cannot be read (mid-rename, deleted): no reload then.
     */
    private byte[] read() {
        try {
            return ConfigFile.readCapped(file);
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public void close() {
        try {
            watch.close();
        } catch (IOException e) {
            log.debug("closing the config watch: {}", e.toString());
        }
        thread.interrupt();
    }
}
