package dev.ballast.proxy.config;

import dev.ballast.core.endpoint.Credentials;
import dev.ballast.core.endpoint.EndpointSource;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads the top-level {@code etcd} key and an upstream's {@code discovery}. */
final class EtcdReader {

    private static final List<String> CLUSTER_KEYS = List.of("endpoints", "timeout", "username", "password");
    private static final List<String> DISCOVERY_KEYS = List.of("etcd");
    private static final List<String> ETCD_SOURCE_KEYS = List.of("prefix");
    private static final String MEMBERS_EXPECTED = "a list of etcd client URLs, e.g. [http://127.0.0.1:2379]";

    private EtcdReader() {
    }

    /** The cluster, or null when the document has no (valid) {@code etcd} key. */
    static EtcdCluster cluster(Section top) {
        Optional<Section> maybeEtcd = top.get("etcd").flatMap(value -> value.section(CLUSTER_KEYS));
        if (maybeEtcd.isEmpty()) {
            return null;
        }
        Section etcd = maybeEtcd.get();
        List<Value> items = etcd.required("endpoints", MEMBERS_EXPECTED)
                .flatMap(value -> value.items(MEMBERS_EXPECTED)).orElse(null);
        long timeout = etcd.duration("timeout", EtcdDiscoveryConfig.DEFAULT_TIMEOUT_MILLIS, 1);
        Login login = login(etcd);
        if (items == null || !login.valid()) {
            return null;
        }
        if (items.isEmpty()) {
            etcd.get("endpoints").orElseThrow().error("no endpoints (expected: " + MEMBERS_EXPECTED + ")");
            return null;
        }
        List<URI> members = new ArrayList<>();
        for (Value item : items) {
            member(item).ifPresent(members::add);
        }
        return members.size() == items.size() ? new EtcdCluster(members, timeout, login.credentials()) : null;
    }

    /** The cluster's login: {@code credentials} null when it has none, {@code valid} false when it was wrong. */
    private record Login(Credentials credentials, boolean valid) {
        static final Login NONE = new Login(null, true);
        static final Login INVALID = new Login(null, false);
    }

    /** {@code username} and {@code password}: both or neither. */
    private static Login login(Section etcd) {
        Optional<Value> username = etcd.get("username");
        Optional<Value> password = etcd.get("password");
        if (username.isEmpty() && password.isEmpty()) {
            return Login.NONE;
        }
        if (username.isEmpty()) {
            password.get().error("a password without a username (expected: both, or neither when etcd asks for"
                    + " no login)");
            return Login.INVALID;
        }
        if (password.isEmpty()) {
            username.get().error("a username without a password (expected: both; e.g. password: ${ETCD_PASSWORD})");
            return Login.INVALID;
        }
        Optional<String> name = username.get().word("an etcd user name");
        Optional<String> secret = password.get().text("the etcd user's password, e.g. ${ETCD_PASSWORD}");
        return name.isPresent() && secret.isPresent()
                ? new Login(new Credentials(name.get(), secret.get()), true) : Login.INVALID;
    }

    private static Optional<URI> member(Value value) {
        return value.parsed(EtcdUrls.EXPECTED, EtcdUrls::parse);
    }

    /**
     * An upstream's {@code discovery}, or null when it has none or it is wrong (reported). {@code cluster}
     * is the top-level {@code etcd} (null when absent or wrong); {@code topHasEtcd} tells the two apart.
     */
    static EtcdDiscoveryConfig discovery(Value value, EtcdCluster cluster, boolean topHasEtcd) {
        Optional<Section> maybeDiscovery = value.section(DISCOVERY_KEYS);
        if (maybeDiscovery.isEmpty()) {
            return null;
        }
        Optional<Section> maybeEtcd = maybeDiscovery.get().required("etcd", "{ prefix: /key/prefix/ }")
                .flatMap(etcd -> etcd.section(ETCD_SOURCE_KEYS));
        if (maybeEtcd.isEmpty()) {
            return null;
        }
        Section etcd = maybeEtcd.get();
        Optional<String> prefix = etcd.required("prefix", "the key prefix of the upstream's endpoints, e.g. /services/api/")
                .flatMap(p -> p.text("a key prefix, e.g. /services/api/").filter(text -> {
                    if (text.isEmpty()) {
                        p.error("an empty prefix would read every key of the cluster (expected: a key prefix,"
                                + " e.g. /services/api/)");
                        return false;
                    }
                    return true;
                }));
        if (prefix.isEmpty()) {
            return null;
        }
        if (EndpointSource.find(EtcdDiscoveryConfig.SYSTEM).isEmpty()) {
            etcd.error(EtcdDiscoveryConfig.MISSING_MODULE);
            return null;
        }
        if (cluster == null) {
            if (!topHasEtcd) {
                etcd.error("no etcd cluster to read from (expected: a top-level 'etcd: { endpoints: [...] }')");
            }
            return null;
        }
        return new EtcdDiscoveryConfig(cluster.members(), cluster.timeoutMillis(), prefix.get(),
                cluster.credentials());
    }
}
