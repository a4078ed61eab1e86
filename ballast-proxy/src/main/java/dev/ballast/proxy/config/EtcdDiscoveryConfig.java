package dev.ballast.proxy.config;

import dev.ballast.core.endpoint.Credentials;
import dev.ballast.core.endpoint.EndpointSource;
import dev.ballast.core.endpoint.TlsFiles;
import dev.ballast.core.endpoint.WatchTarget;

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
 * @param credentials   {@code etcd.username} and {@code etcd.password} or {@code etcd.password_file}, or null
 *                      when the cluster asks for no login
 * @param tls           {@code etcd.tls}: the CA, client certificate and key files, or null for none; a reload
 *                      that changes a path rebuilds the upstream, a file changed on disk is read for the next
 *                      connection to etcd
 */
public record EtcdDiscoveryConfig(List<URI> cluster, long timeoutMillis, String prefix, Credentials credentials,
                                  TlsFiles tls) {

    public static final long DEFAULT_TIMEOUT_MILLIS = 5_000;
    /** The {@link EndpointSource#system()} that reads etcd: {@code ballast-discovery-etcd}'s. */
    public static final String SYSTEM = "etcd";

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

    /** What the upstream called {@code owner} follows in etcd. */
    public WatchTarget target(String owner) {
        return new WatchTarget(owner, cluster, timeoutMillis, prefix, credentials, tls);
    }

    /**
     * The etcd module's {@link EndpointSource}. Validation refuses {@code discovery.etcd} without it, so
     * a configuration that passed always finds it.
     */
    public EndpointSource provider() {
        return EndpointSource.find(SYSTEM).orElseThrow(() -> new IllegalStateException(MISSING_MODULE));
    }

    /** What a user is told when the etcd module is not on the class path. */
    public static final String MISSING_MODULE = "etcd support (the ballast-discovery-etcd module) is not on the class path;"
            + " the ballast jar that bin/ballast builds has it";
}
