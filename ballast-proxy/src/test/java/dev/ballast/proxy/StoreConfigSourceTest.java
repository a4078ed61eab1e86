package dev.ballast.proxy;

import dev.ballast.core.config.ConfigStore;
import dev.ballast.core.endpoint.Watch;
import dev.ballast.core.endpoint.WatchTarget;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How the configuration held in a store is followed: what counts as a change. The store here is a
 * key in memory whose watch the test drives, to set up orders of events a real etcd gives only by
 * chance (the etcd path itself is tested against a real etcd in RunCommandEtcdConfigTest).
 */
class StoreConfigSourceTest {

    private static final WatchTarget KEY = new WatchTarget("configuration", List.of(URI.create("http://127.0.0.1:1")),
            1_000, "/ballast/config");

    /** One key; its watch tells what the test hands it, when the test says. */
    private static final class OneKey implements ConfigStore {

        byte[] value;
        Consumer<Optional<byte[]>> watcher;

        @Override
        public String system() {
            return "memory";
        }

        @Override
        public Optional<byte[]> read(WatchTarget target) {
            return Optional.ofNullable(value);
        }

        @Override
        public Watch watch(WatchTarget target, Consumer<Optional<byte[]>> document) {
            watcher = document;
            return new Watch() {
                @Override
                public void start() {
                }

                @Override
                public Status status() {
                    return Status.NOT_STARTED;
                }

                @Override
                public void close() {
                }
            };
        }

        void put(String document) {
            value = document.getBytes(StandardCharsets.UTF_8);
        }

        /** The watch tells what the key holds now, as after a gap. */
        void watchCatchesUp() {
            watcher.accept(Optional.ofNullable(value));
        }
    }

    @Test
    void aRollbackToTheDocumentTheWatchSawLastIsAChangeWhenAReloadReadAnotherMeanwhile() throws Exception {
        OneKey store = new OneKey();
        StoreConfigSource source = new StoreConfigSource(store, KEY);
        List<String> changes = new ArrayList<>();
        store.put("a: 1\n");
        assertThat(source.read()).isEqualTo("a: 1\n"); // the start
        source.follow((trigger, text) -> changes.add(text));

        store.put("b: 2\n"); // put while the watch is away, and read by a reload (SIGHUP, POST /reload)
        assertThat(source.read()).isEqualTo("b: 2\n");
        store.put("a: 1\n"); // rolled back
        store.watchCatchesUp();

        assertThat(changes).as("the proxy runs b, the store holds a again: a change, read at its turn")
                .containsExactly((String) null);
        assertThat(source.read()).isEqualTo("a: 1\n");
    }

    @Test
    void aPutDeliveredBehindAQueuedReloadThatReadALaterPutDoesNotPutTheProxyBackOnIt() throws Exception {
        OneKey store = new OneKey();
        StoreConfigSource source = new StoreConfigSource(store, KEY);
        // The proxy's config reader: reloads run one at a time, in the order asked for.
        Queue<String> reloads = new ArrayDeque<>();
        List<String> applied = new ArrayList<>();
        store.put("a: 1\n");
        applied.add(source.read());
        source.follow((trigger, text) -> reloads.add(text == null ? "read" : text));

        reloads.add("read"); // a SIGHUP, queued behind a reload still running
        store.put("b: 2\n");
        store.watchCatchesUp(); // b delivered, its reload queued behind the SIGHUP's
        store.put("c: 3\n");
        while (!reloads.isEmpty()) {
            String next = reloads.poll();
            applied.add(next.equals("read") ? source.read() : next);
        }
        store.watchCatchesUp(); // c delivered: what the SIGHUP's reload read already

        assertThat(reloads).isEmpty();
        assertThat(applied.getLast()).as("the proxy ends on what the key holds").isEqualTo("c: 3\n");
    }

    @Test
    void theDocumentAReloadAlreadyReadIsNotAChangeWhenTheWatchDeliversItLate() throws Exception {
        OneKey store = new OneKey();
        StoreConfigSource source = new StoreConfigSource(store, KEY);
        List<String> changes = new ArrayList<>();
        store.put("a: 1\n");
        source.read();
        source.follow((trigger, text) -> changes.add(text));

        store.put("b: 2\n");
        source.read();
        store.watchCatchesUp();

        assertThat(changes).as("applied by the reload already").isEmpty();
    }
}
