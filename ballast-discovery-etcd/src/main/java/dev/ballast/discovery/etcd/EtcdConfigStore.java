package dev.ballast.discovery.etcd;

import dev.ballast.core.config.ConfigStore;
import dev.ballast.core.endpoint.Watch;
import dev.ballast.core.endpoint.WatchTarget;

import java.io.IOException;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * etcd as a {@link ConfigStore}: a configuration document as the value of one key, found by the proxy
 * through {@link java.util.ServiceLoader} as store {@code etcd} ({@code --config-etcd}).
 */
public final class EtcdConfigStore implements ConfigStore {

    @Override
    public String system() {
        return EtcdEndpointSource.SYSTEM;
    }

    @Override
    public Optional<byte[]> read(WatchTarget target) throws IOException, InterruptedException {
        return EtcdWatch.read(target).map(EtcdValue::bytes);
    }

    @Override
    public Watch watch(WatchTarget target, Consumer<Optional<byte[]>> document) {
        String key = target.path();
        return EtcdWatch.ofKey(target,
                values -> document.accept(Optional.ofNullable(values.get(key)).map(EtcdValue::bytes)));
    }
}
