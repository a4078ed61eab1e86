package dev.ballast.proxy;

import dev.ballast.core.config.ConfigStore;
import dev.ballast.core.endpoint.Credentials;
import dev.ballast.core.endpoint.TlsFiles;
import dev.ballast.core.endpoint.WatchTarget;
import dev.ballast.proxy.config.EtcdDiscoveryConfig;
import dev.ballast.proxy.config.EtcdUrls;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.io.IOException;
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

    @Option(names = "--config-etcd-user", paramLabel = "USER",
            description = "With --config-etcd, where etcd has authentication enabled: the user to log in as."
                    + " Needs --config-etcd-password-file.")
    private String etcdUser;

    @Option(names = "--config-etcd-password-file", paramLabel = "FILE",
            description = "With --config-etcd-user: a file that holds the user's password (one line; a trailing"
                    + " line break is ignored), kept out of the command line, which other users can read. Read at"
                    + " start and at each login, so a password changed in the file is used from the next login.")
    private Path etcdPasswordFile;

    @Option(names = "--config-etcd-cacert", paramLabel = "FILE",
            description = "With --config-etcd and https:// URLs: the PEM certificates of the authorities to trust"
                    + " for the members' certificates, instead of the JVM's (as etcdctl's --cacert).")
    private Path etcdCaFile;

    @Option(names = "--config-etcd-cert", paramLabel = "FILE",
            description = "With --config-etcd and https:// URLs, for members that ask for a client certificate:"
                    + " the PEM client certificate (as etcdctl's --cert). Needs --config-etcd-key.")
    private Path etcdCertFile;

    @Option(names = "--config-etcd-key", paramLabel = "FILE",
            description = "With --config-etcd-cert: the certificate's PEM private key, not encrypted (as etcdctl's"
                    + " --key).")
    private Path etcdKeyFile;

    /** The file, or the etcd key: exactly one, or a usage error saying what is missing. */
    ConfigSource source(CommandSpec spec) {
        boolean etcd = etcdMembers != null || etcdKey != null;
        if (file != null && etcd) {
            throw new ParameterException(spec.commandLine(),
                    "give either -c FILE or --config-etcd URL with --config-key KEY, not both");
        }
        if (file != null) {
            if (etcdUser != null || etcdPasswordFile != null) {
                throw new ParameterException(spec.commandLine(), "--config-etcd-user and --config-etcd-password-file"
                        + " go with --config-etcd, not with -c FILE (a file's etcd section has its own login)");
            }
            if (etcdCaFile != null || etcdCertFile != null || etcdKeyFile != null) {
                throw new ParameterException(spec.commandLine(), "--config-etcd-cacert, --config-etcd-cert and"
                        + " --config-etcd-key go with --config-etcd, not with -c FILE (a file's etcd section has its"
                        + " own tls)");
            }
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
        Credentials login = login(spec);
        TlsFiles tls = tls(spec, members);
        ConfigStore store = ConfigStore.find(EtcdDiscoveryConfig.SYSTEM).orElseThrow(() ->
                new ParameterException(spec.commandLine(), "--config-etcd: " + EtcdDiscoveryConfig.MISSING_MODULE));
        return ConfigSource.store(store,
                new WatchTarget("configuration", members, ETCD_TIMEOUT_MILLIS, etcdKey, login, tls));
    }

    /**
     * The TLS files, or null without any; a usage error when half a client certificate is given, a file
     * cannot be used (read now, so that the error names the option), or a member is not https://.
     */
    private TlsFiles tls(CommandSpec spec, List<URI> members) {
        if (etcdCaFile == null && etcdCertFile == null && etcdKeyFile == null) {
            return null;
        }
        if ((etcdCertFile == null) != (etcdKeyFile == null)) {
            throw new ParameterException(spec.commandLine(), etcdCertFile == null
                    ? "--config-etcd-key needs --config-etcd-cert FILE: the certificate it is the key of"
                    : "--config-etcd-cert needs --config-etcd-key FILE: the certificate's private key");
        }
        for (URI member : members) {
            if (!"https".equals(member.getScheme())) {
                throw new ParameterException(spec.commandLine(), "--config-etcd: " + member + " is http://, which"
                        + " the TLS options do not apply to (expected: https://" + member.getAuthority() + ")");
            }
        }
        TlsFiles tls = new TlsFiles(etcdCaFile, etcdCertFile, etcdKeyFile);
        try {
            tls.context();
        } catch (TlsFiles.Unreadable e) {
            String option = switch (e.field()) {
                case TlsFiles.CA_FILE -> "--config-etcd-cacert";
                case TlsFiles.CERT_FILE -> "--config-etcd-cert";
                default -> "--config-etcd-key";
            };
            throw new ParameterException(spec.commandLine(), option + ": " + e.reason());
        }
        return tls;
    }

    /** The etcd login, or null without one; a usage error when half of it is given or the file cannot be read. */
    private Credentials login(CommandSpec spec) {
        if (etcdUser == null && etcdPasswordFile == null) {
            return null;
        }
        if (etcdUser == null || etcdUser.isBlank()) {
            throw new ParameterException(spec.commandLine(),
                    "--config-etcd-password-file needs --config-etcd-user USER: who to log in as");
        }
        if (etcdPasswordFile == null) {
            throw new ParameterException(spec.commandLine(),
                    "--config-etcd-user needs --config-etcd-password-file FILE: the user's password");
        }
        Credentials login = Credentials.withPasswordFile(etcdUser.strip(), etcdPasswordFile);
        try {
            login.currentPassword(); // read now too, so that a wrong file stops the start naming the option
        } catch (IOException e) {
            throw new ParameterException(spec.commandLine(), "--config-etcd-password-file: " + e.getMessage());
        }
        return login;
    }
}
