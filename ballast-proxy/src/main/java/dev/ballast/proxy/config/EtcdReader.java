package dev.ballast.proxy.config;

import dev.ballast.core.endpoint.Credentials;
import dev.ballast.core.endpoint.EndpointSource;
import dev.ballast.core.endpoint.TlsFiles;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads the top-level {@code etcd} key and an upstream's {@code discovery}. */
final class EtcdReader {

    private static final List<String> CLUSTER_KEYS = List.of("endpoints", "timeout", "username", "password", "password_file",
            "tls");
    private static final List<String> TLS_KEYS = List.of(TlsFiles.CA_FILE, TlsFiles.CERT_FILE, TlsFiles.KEY_FILE);
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
        Tls tls = tls(etcd);
        if (items == null) {
            return null;
        }
        if (items.isEmpty()) {
            etcd.get("endpoints").orElseThrow().error("no endpoints (expected: " + MEMBERS_EXPECTED + ")");
            return null;
        }
        List<URI> members = new ArrayList<>();
        boolean valid = login.valid() && tls.valid();
        for (Value item : items) {
            Optional<URI> member = member(item);
            if (member.isEmpty()) {
                valid = false;
            } else if (etcd.has("tls") && !"https".equals(member.get().getScheme())) {
                item.error("an http:// URL with etcd.tls, which only https:// URLs use (expected: https://"
                        + member.get().getAuthority() + ", or no tls)");
                valid = false;
            } else {
                members.add(member.get());
            }
        }
        return valid ? new EtcdCluster(members, timeout, login.credentials(), tls.files()) : null;
    }

    /** The cluster's TLS files: {@code files} null when it has none, {@code valid} false when they were wrong. */
    private record Tls(TlsFiles files, boolean valid) {
        static final Tls NONE = new Tls(null, true);
        static final Tls INVALID = new Tls(null, false);
    }

    /**
     * {@code tls: { ca_file, cert_file, key_file }}, each read now, so that a missing or wrong file is
     * reported with its line, and not at the first call to etcd.
     */
    private static Tls tls(Section etcd) {
        Optional<Value> maybeTls = etcd.get("tls");
        if (maybeTls.isEmpty()) {
            return Tls.NONE;
        }
        Optional<Section> maybeSection = maybeTls.get().section(TLS_KEYS);
        if (maybeSection.isEmpty()) {
            return Tls.INVALID;
        }
        Section tls = maybeSection.get();
        Map<String, Value> values = new HashMap<>();
        Map<String, Path> files = new HashMap<>();
        for (String key : TLS_KEYS) {
            tls.get(key).ifPresent(value -> {
                values.put(key, value);
                value.path("a PEM file path").ifPresent(path -> files.put(key, path));
            });
        }
        if (values.isEmpty()) {
            if (!tls.isEmpty()) {
                return Tls.INVALID; // only unknown keys, reported
            }
            maybeTls.get().error("no file (expected: ca_file, to trust the authority that signed the members'"
                    + " certificates; cert_file and key_file, for a member that asks for a client certificate)");
            return Tls.INVALID;
        }
        if (values.containsKey(TlsFiles.CERT_FILE) != values.containsKey(TlsFiles.KEY_FILE)) {
            String given = values.containsKey(TlsFiles.CERT_FILE) ? TlsFiles.CERT_FILE : TlsFiles.KEY_FILE;
            String missing = given.equals(TlsFiles.CERT_FILE) ? TlsFiles.KEY_FILE : TlsFiles.CERT_FILE;
            if (!tls.misspelt(missing)) {
                values.get(given).error("a " + given + " without a " + missing + " (expected: both, the client"
                        + " certificate and its private key)");
            }
            return Tls.INVALID;
        }
        if (files.size() != values.size()) {
            return Tls.INVALID; // a value that is not a path, reported
        }
        TlsFiles tlsFiles = new TlsFiles(files.get(TlsFiles.CA_FILE), files.get(TlsFiles.CERT_FILE),
                files.get(TlsFiles.KEY_FILE));
        try {
            tlsFiles.context();
        } catch (TlsFiles.Unreadable e) {
            values.get(e.field()).error(e.reason());
            return Tls.INVALID;
        }
        return new Tls(tlsFiles, true);
    }

    /** The cluster's login: {@code credentials} null when it has none, {@code valid} false when it was wrong. */
    private record Login(Credentials credentials, boolean valid) {
        static final Login NONE = new Login(null, true);
        static final Login INVALID = new Login(null, false);
    }

    /**
     * {@code username} and a password, as {@code password} or as {@code password_file}: both or neither.
     * A password file is read now, so that a missing or empty one is reported with its line, and again
     * at each login.
     */
    private static Login login(Section etcd) {
        Optional<Value> username = etcd.get("username");
        Optional<Value> password = etcd.get("password");
        Optional<Value> passwordFile = etcd.get("password_file");
        if (password.isPresent() && passwordFile.isPresent()) {
            passwordFile.get().error("a password_file and a password (expected: one of them)");
            return Login.INVALID;
        }
        Optional<Value> secret = password.or(() -> passwordFile);
        String secretKey = password.isPresent() ? "password" : "password_file";
        if (username.isEmpty() && secret.isEmpty()) {
            return Login.NONE;
        }
        if (username.isEmpty()) {
            if (!etcd.misspelt("username")) {
                secret.get().error("a " + secretKey + " without a username (expected: both, or neither when etcd"
                        + " asks for no login)");
            }
            return Login.INVALID;
        }
        if (secret.isEmpty()) {
            if (!etcd.misspelt("password") && !etcd.misspelt("password_file")) {
                username.get().error("a username without a password (expected: both; e.g. password:"
                        + " ${ETCD_PASSWORD}, or password_file: /run/secrets/etcd-password)");
            }
            return Login.INVALID;
        }
        Optional<String> name = username.get().word("an etcd user name");
        if (password.isPresent()) {
            Optional<String> text = password.get().text("the etcd user's password, e.g. ${ETCD_PASSWORD}");
            return name.isPresent() && text.isPresent()
                    ? new Login(new Credentials(name.get(), text.get()), true) : Login.INVALID;
        }
        Optional<Path> file = passwordFile.get().path("a file whose first line is the etcd user's password");
        if (name.isEmpty() || file.isEmpty()) {
            return Login.INVALID;
        }
        Credentials credentials = Credentials.withPasswordFile(name.get(), file.get());
        try {
            credentials.currentPassword();
        } catch (IOException e) {
            passwordFile.get().error(e.getMessage());
            return Login.INVALID;
        }
        return new Login(credentials, true);
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
                    if (!text.endsWith("/")) {
                        p.warn("'" + text + "' has no trailing '/', so it also takes the keys of every name that"
                                + " starts with it (" + text + "-admin/..., say); end it with '/' to follow one directory");
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
                cluster.credentials(), cluster.tls());
    }
}
