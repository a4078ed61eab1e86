package dev.ballast.proxy;

import dev.ballast.core.config.ConfigStore;
import dev.ballast.core.endpoint.WatchTarget;
import dev.ballast.proxy.config.EtcdDiscoveryConfig;
import dev.ballast.proxy.config.EtcdUrls;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where {@code run} and {@code validate} read the configuration: {@code -c FILE}, or {@code --config-etcd
 * URL --config-key KEY} for the value of an etcd key. A picocli mixin.
 */
final class ConfigSourceOptions {

    /** Bounds each read of the configuration key: at start, and at every reload. */
    static final long ETCD_TIMEOUT_MILLIS = EtcdDiscoveryConfig.DEFAULT_TIMEOUT_MILLIS;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "The YAML configuration file.")
    private Path file;

    @Option(names = "--config-etcd", split = ",", paramLabel = "URL",
            description = "Read the configuration from etcd instead of a file: the client URLs of the cluster's"
                    + " members (separated by commas, or the option repeated). Needs --config-key.")
    private List<String> etcdMembers;

    @Option(names = "--config-key", paramLabel = "KEY",
            description = "With --config-etcd: the key whose value is the YAML configuration.")
    private String etcdKey;

    /** The file, or the etcd key: exactly one, or a usage error saying what is missing. */
    ConfigSource source(CommandSpec spec) {
        boolean etcd = etcdMembers != null || etcdKey != null;
        if (file != null && etcd) {
            throw new ParameterException(spec.commandLine(),
                    "give either -c FILE or --config-etcd URL with --config-key KEY, not both");
        }
        if (file != null) {
            return ConfigSource.file(file);
        }
        if (!etcd) {
            throw new ParameterException(spec.commandLine(),
                    "missing the configuration: give -c FILE, or --config-etcd URL with --config-key KEY");
        }
        if (etcdMembers == null || etcdMembers.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--config-key needs --config-etcd URL: where to read it");
        }
        if (etcdKey == null) {
            throw new ParameterException(spec.commandLine(), "--config-etcd needs --config-key KEY: what to read");
        }
        if (etcdKey.isBlank()) {
            throw new ParameterException(spec.commandLine(), "--config-key is empty (expected: a key, e.g."
                    + " /ballast/proxy.yaml)");
        }
        List<URI> members = new ArrayList<>();
        for (String member : etcdMembers) {
            try {
                members.add(EtcdUrls.parse(member.strip()));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--config-etcd: " + e.getMessage());
            }
        }
        ConfigStore store = ConfigStore.find(EtcdDiscoveryConfig.SYSTEM).orElseThrow(() ->
                new ParameterException(spec.commandLine(), "--config-etcd: " + EtcdDiscoveryConfig.MISSING_MODULE));
        return ConfigSource.store(store, new WatchTarget("configuration", members, ETCD_TIMEOUT_MILLIS, etcdKey));
    }
}
