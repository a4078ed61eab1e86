package dev.ballast.core.endpoint;

import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * What to follow, and where: the part of a store's configuration that every store has.
 *
 * @param owner         what log lines call the user of the watch (e.g. {@code upstream api})
 * @param servers       the store's servers, any of which may answer (etcd's members' client URLs)
 * @param timeoutMillis bounds every call to a server
 * @param path          what to follow in the store: a key prefix for endpoints, a key for a document
 * @param credentials   the user to log in as, or null when the store asks for none
 * @param tls           the files to reach {@code https://} servers with, or null for the JVM's trusted
 *                      certificates and no client certificate
 */
public record WatchTarget(String owner, List<URI> servers, long timeoutMillis, String path, Credentials credentials,
                          TlsFiles tls) {

    public WatchTarget {
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(path, "path");
        servers = List.copyOf(servers);
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("servers: none (expected: at least one URL)");
        }
        if (timeoutMillis <= 0) {
            throw new IllegalArgumentException("timeoutMillis: " + timeoutMillis + " (expected: > 0)");
        }
    }

    /** A target on a store that asks for no login. */
    public WatchTarget(String owner, List<URI> servers, long timeoutMillis, String path) {
        this(owner, servers, timeoutMillis, path, null, null);
    }

    /** The same target, logging in as {@code login} (null: as nobody). */
    public WatchTarget withCredentials(Credentials login) {
        return new WatchTarget(owner, servers, timeoutMillis, path, login, tls);
    }

    /** The same target, reaching its servers with {@code files} (null: the JVM's trusted certificates only). */
    public WatchTarget withTls(TlsFiles files) {
        return new WatchTarget(owner, servers, timeoutMillis, path, credentials, files);
    }
}
