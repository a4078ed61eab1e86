package dev.ballast.discovery.etcd;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.endpoint.EndpointSource;
import dev.ballast.core.endpoint.Watch;
import dev.ballast.core.endpoint.WatchTarget;

import java.util.List;
import java.util.function.Consumer;

/**
 * etcd as an {@link EndpointSource}: the endpoints registered under a key prefix ({@link EtcdEndpoints}),
 * found by the proxy and the client through {@link java.util.ServiceLoader} as system {@code etcd}.
 */
public final class EtcdEndpointSource implements EndpointSource {

    /** The name configuration knows etcd by. */
    public static final String SYSTEM = "etcd";

    @Override
    public String system() {
        return SYSTEM;
    }

    @Override
    public Watch watch(WatchTarget target, Consumer<List<Endpoint>> endpoints) {
        return EtcdEndpoints.watch(target, endpoints);
    }
}
