package dev.ballast.proxy.admin;

import dev.ballast.discovery.etcd.EtcdWatch;

/**
 * Where the configuration in force was read from, for {@code GET /status}.
 *
 * @param name  the file's path, or {@code etcd:KEY}
 * @param watch how following an etcd key goes; null for a file
 */
public record ConfigOrigin(String name, EtcdWatch.Status watch) {
}
