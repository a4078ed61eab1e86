package dev.ballast.client.internal;

import dev.ballast.core.endpoint.Endpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What a discovery watch hands a service, as the proxy applies it: the configured endpoints first, then
 * the discovered ones they do not already name. A discovered address that cannot be a URI host (a
 * registry may hold {@code orders_api:8080}, which {@code java.net.URI} refuses) is left out and logged
 * once while it is listed, so one bad registration does not keep the others from being followed.
 * Called on the watch's thread, one call at a time.
 */
public final class DiscoveredEndpoints implements Consumer<List<Endpoint>> {

    private static final Logger log = LoggerFactory.getLogger(DiscoveredEndpoints.class);

    private final Channel channel;
    /** The addresses left out last time, each logged once while it stays listed. */
    private Set<String> refused = Set.of();

    public DiscoveredEndpoints(Channel channel) {
        this.channel = channel;
    }

    @Override
    public void accept(List<Endpoint> discovered) {
        List<Endpoint> configured = channel.config().endpoints();
        List<Endpoint> merged = new ArrayList<>(configured);
        Set<String> seen = new HashSet<>();
        for (Endpoint endpoint : configured) {
            seen.add(endpoint.address().toLowerCase(Locale.ROOT));
        }
        Set<String> stillRefused = new HashSet<>();
        for (Endpoint endpoint : discovered) {
            try {
                UriHost.check(endpoint.address());
            } catch (IllegalArgumentException e) {
                stillRefused.add(endpoint.address());
                if (!refused.contains(endpoint.address())) {
                    log.warn("service {}: discovered endpoint left out: {}", channel.name(), e.getMessage());
                }
                continue;
            }
            if (seen.add(endpoint.address().toLowerCase(Locale.ROOT))) {
                merged.add(endpoint);
            }
        }
        refused = stillRefused;
        channel.setEndpoints(merged);
    }
}
