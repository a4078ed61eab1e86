package dev.ballast.proxy.admin;

import dev.ballast.core.endpoint.Watch;

/**
 * Where the configuration in force was read from, for {@code GET /status}.
 *
 * @param name  the file's path, or {@code etcd:KEY}
 * @param watch how following the key in its store goes; null for a file
 */
public record ConfigOrigin(String name, Watch.Status watch) {
}
