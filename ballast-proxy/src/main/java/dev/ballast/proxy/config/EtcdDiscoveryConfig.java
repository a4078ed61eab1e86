package dev.ballast.proxy.config;

import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * An upstream whose endpoints come from etcd: every key under {@code prefix} is one endpoint, its value
 * {@code host:port} or a JSON object {@code {"address", "weight", "zone", "metadata"}}. The cluster
 * settings come from the top-level {@code etcd} key and are copied into each upstream that uses them, so
 * that a change to them rebuilds those upstreams on reload.
 *
 * @param cluster       {@code etcd.endpoints}: the client URLs of the cluster's members, all asked at once
 * @param timeoutMillis {@code etcd.timeout} (default 5s): connecting, and each read of the whole prefix
 * @param prefix        {@code discovery.etcd.prefix}: the key prefix the upstream's endpoints live under
 */
public record EtcdDiscoveryConfig(List<URI> cluster, long timeoutMillis, String prefix) {

    public static final long DEFAULT_TIMEOUT_MILLIS = 5_000;

    public EtcdDiscoveryConfig {
        cluster = List.copyOf(cluster);
        Objects.requireNonNull(prefix, "prefix");
        if (cluster.isEmpty() || prefix.isEmpty() || timeoutMillis <= 0) {
            throw new IllegalArgumentException("etcd discovery needs members, a prefix and a timeout: " + cluster
                    + ", '" + prefix + "', " + timeoutMillis + " ms");
        }
    }

    /** What the event log and {@code /status} call this source: {@code etcd:PREFIX}. */
    public String source() {
        return "etcd:" + prefix;
    }
}
