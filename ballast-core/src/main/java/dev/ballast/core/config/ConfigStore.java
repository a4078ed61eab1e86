package dev.ballast.core.config;

import dev.ballast.core.endpoint.Watch;
import dev.ballast.core.endpoint.WatchTarget;
import dev.ballast.core.internal.Providers;

import java.io.IOException;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A distributed store that keeps a configuration document under a key, which every proxy of a fleet
 * reads and follows (etcd: {@code ballast run --config-etcd URL --config-key KEY}). A module provides
 * one through {@link java.util.ServiceLoader} ({@code META-INF/services/dev.ballast.core.config.ConfigStore}), as
 * discovery modules provide an {@link dev.ballast.core.endpoint.EndpointSource}.
 */
public interface ConfigStore {

    /** The name the command line knows the store by, e.g. {@code etcd}. */
    String system();

    /**
     * The document under {@code target.path()} now, from whichever server answers first; empty when
     * there is no such key. Blocks up to {@code target.timeoutMillis()}.
     *
     * @throws IOException when no server answers in time, saying which failed and how
     */
    Optional<byte[]> read(WatchTarget target) throws IOException, InterruptedException;

    /**
     * A watch, not yet started, of the key {@code target.path()}: {@code document} is told its value after
     * each change, or empty once the key was deleted, on the watch's thread, one call at a time; its
     * first call is the value when the watch starts. A change missed while the store was away is told
     * once it answers again.
     */
    Watch watch(WatchTarget target, Consumer<Optional<byte[]>> document);

    /** The store on the class path for {@code system}; empty when no module provides it. */
    static Optional<ConfigStore> find(String system) {
        return Providers.find(ConfigStore.class, store -> store.system().equals(system));
    }
}
