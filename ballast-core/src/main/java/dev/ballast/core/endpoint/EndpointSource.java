package dev.ballast.core.endpoint;

import dev.ballast.core.internal.Providers;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A system that services register in, from which an upstream learns its endpoints as they come and go
 * (etcd; Kubernetes and others in the same way). A discovery module provides one through
 * {@link java.util.ServiceLoader} (a {@code META-INF/services/dev.ballast.core.endpoint.EndpointSource} entry), so
 * the proxy and the client find it on the class path without depending on the module: the proxy's
 * configuration names the system ({@code discovery: { etcd: ... }}) and {@link #find} looks it up.
 *
 * <p>Implementations are stateless factories; the state lives in the {@link Watch}es they make.
 */
public interface EndpointSource {

    /** The name configuration knows the system by, e.g. {@code etcd}. */
    String system();

    /**
     * A watch, not yet started, of the endpoints under {@code target.path()}: {@code endpoints} is told
     * the whole list after each change, on the watch's thread, one call at a time. While the system
     * cannot be reached it hears nothing, so the list it had stays in use: an outage of the registry
     * must not take healthy endpoints out of rotation.
     */
    Watch watch(WatchTarget target, Consumer<List<Endpoint>> endpoints);

    /** The source on the class path for {@code system}; empty when no module provides it. */
    static Optional<EndpointSource> find(String system) {
        return Providers.find(EndpointSource.class, source -> source.system().equals(system));
    }
}
