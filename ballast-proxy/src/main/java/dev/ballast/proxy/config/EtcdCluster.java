package dev.ballast.proxy.config;

import dev.ballast.core.endpoint.Credentials;
import dev.ballast.core.endpoint.TlsFiles;

import java.net.URI;
import java.util.List;

/**
 * The top-level {@code etcd} key: the cluster that {@code discovery: { etcd: ... }} upstreams read
 * their endpoints from.
 *
 * @param members       {@code endpoints}: client URLs, {@code http://host:port} or {@code https://host:port}
 * @param timeoutMillis {@code timeout}
 * @param credentials   {@code username} and {@code password} or {@code password_file}, or null when the cluster
 *                      asks for no login
 * @param tls           {@code tls}: the CA, client certificate and key files, or null for none
 */
record EtcdCluster(List<URI> members, long timeoutMillis, Credentials credentials, TlsFiles tls) {
}
