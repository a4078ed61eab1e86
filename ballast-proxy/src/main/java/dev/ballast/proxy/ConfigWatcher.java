package dev.ballast.proxy;

import dev.ballast.proxy.config.ConfigFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Reloads when the configuration file's content changes. It watches the file's directory rather than
 * the file: editors save by writing a new file and renaming it, and Kubernetes swaps a symlinked
 * directory, and neither is an event on the original file. An event counts only when the file itself
 * moved (its identity, size or modification time, read through any symlink): a log written beside it
 * must not hold a reload back. A change is then debounced until the file stays still for {@link
 * #DEBOUNCE_MILLIS} (a save is often several writes), and its content compared with what was last seen,
 * so only a real change reloads. One daemon thread; a failing reload is the reloader's business, not
 * the watcher's.
 */
final class ConfigWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ConfigWatcher.class);
    static final long DEBOUNCE_MILLIS = 200;
    /** The coarsest modification-time resolution among common file systems (FAT keeps 2 s). */
    private static final long RACY_MILLIS = 2_000;

    private final Path file;
    private final Runnable reload;
    private final WatchService watch;
    private final Thread thread;
    private byte[] lastSeen;
    private Fingerprint lastStill;
    /** False once the directory can no longer be watched (it was removed): no event will come again. */
    private boolean watchable = true;

    private ConfigWatcher(Path file, byte[] startedFrom, Runnable reload) throws IOException {
        this.file = file.toAbsolutePath();
        this.reload = reload;
        this.watch = FileSystems.getDefault().newWatchService();
        this.file.getParent().register(watch, StandardWatchEventKinds.ENTRY_CREATE,
                StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
        // Watching first: a save from now on raises an event, and what it changed is judged against these.
        this.lastStill = fingerprint();
        this.lastSeen = startedFrom != null ? startedFrom : read();
        this.thread = Thread.ofPlatform().daemon().name("ballast-config-watch").unstarted(this::run);
    }

    /**
     * Starts watching {@code file}; {@code reload} runs on the watcher's thread after each change.
     *
     * @param startedFrom the content the proxy started from, read before the watch began (a save since
     *                    then reloads at once), or null to take the content as it is now
     */
    static ConfigWatcher start(Path file, byte[] startedFrom, Runnable reload) throws IOException {
        ConfigWatcher watcher = new ConfigWatcher(file, startedFrom, reload);
        watcher.thread.start();
        log.info("watching {} for changes", watcher.file);
        return watcher;
    }

    private void run() {
        try {
            if (!Arrays.equals(read(), lastSeen)) {
                settle(fingerprint()); // saved while the proxy started, before the watch began
            }
            while (watchable) {
                drain(watch.take());
                Fingerprint moved = fingerprint();
                if (Objects.equals(moved, lastStill) && !recentlyModified(moved)) {
                    continue; // another file of the directory
                }
                settle(moved);
            }
            log.warn("no longer watching {} for changes: its directory went away (SIGHUP or POST /reload still"
                    + " reload it)", file);
        } catch (InterruptedException | ClosedWatchServiceException stopped) {
            // closed
        }
    }

    /** Once the file stays still, reloads if its content differs from what was last seen. */
    private void settle(Fingerprint moved) throws InterruptedException {
        Fingerprint still = awaitStill(moved);
        byte[] now = read();
        lastStill = now == null ? null : still; // unreadable: whatever happens next counts as a change
        if (now != null && !Arrays.equals(now, lastSeen)) {
            lastSeen = now;
            reloadQuietly();
        }
    }

    /** Waits until the file has not moved for the debounce time, whatever else the directory does; returns how it stands. */
    private Fingerprint awaitStill(Fingerprint moved) throws InterruptedException {
        Fingerprint current = moved;
        long stillSince = System.nanoTime();
        long left;
        while ((left = DEBOUNCE_MILLIS - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stillSince)) > 0) {
            WatchKey key = watch.poll(left, TimeUnit.MILLISECONDS);
            if (key == null) {
                break;
            }
            drain(key);
            Fingerprint now = fingerprint();
            if (!Objects.equals(now, current)) {
                current = now;
                stillSince = System.nanoTime();
            }
        }
        return current;
    }

    /** A reload that throws is logged: the watcher must outlive it, or later saves go unseen. */
    private void reloadQuietly() {
        try {
            reload.run();
        } catch (RuntimeException e) {
            log.error("reload after a change of {} failed: {}", file, e.toString());
        }
    }

    private void drain(WatchKey key) {
        key.pollEvents();
        if (!key.reset()) {
            watchable = false;
        }
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

    /**
     * True while the file's modification time is too close to now to tell two saves apart by it: some
     * file systems keep it to the second or two, so a save of the same size just after another could
     * leave the fingerprint unchanged. Its content is compared then, as git does for "racily clean" files.
     */
    private static boolean recentlyModified(Fingerprint fingerprint) {
        return fingerprint != null
                && Math.abs(System.currentTimeMillis() - fingerprint.modified().toMillis()) < RACY_MILLIS;
    }

    /** What the file is now, through any symlink; null while it cannot be read (mid-rename, deleted). */
    private Fingerprint fingerprint() {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            return new Fingerprint(attributes.fileKey(), attributes.size(), attributes.lastModifiedTime());
        } catch (IOException e) {
            return null;
        }
    }

    /** A file's identity (device and inode, where the system has them), size and modification time. */
    private record Fingerprint(Object key, long size, FileTime modified) { }

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
