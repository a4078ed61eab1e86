package dev.ballast.proxy.config;

import java.net.URI;
import java.util.List;

/**
 * The top-level {@code etcd} key: the cluster that {@code discovery: { etcd: ... }} upstreams read
 * their endpoints from.
 *
 * @param members       {@code endpoints}: client URLs, {@code http://host:port} or {@code https://host:port}
 * @param timeoutMillis {@code timeout}
 */
record EtcdCluster(List<URI> members, long timeoutMillis) {
}
