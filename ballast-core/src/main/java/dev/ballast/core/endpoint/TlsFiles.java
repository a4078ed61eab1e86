package dev.ballast.core.endpoint;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * The PEM files that a store's servers are reached with over TLS, as etcdctl takes them ({@code --cacert},
 * {@code --cert}, {@code --key}): the certificate authorities to trust instead of the JVM's, and a client
 * certificate with its key for servers that ask for one (etcd with {@code --client-cert-auth}).
 *
 * <p>Paths only, so equal settings make equal targets; {@link #context()} reads the files each time it is
 * called, and {@link #versions()} tells a caller when they changed on disk, so that a certificate renewed
 * in place is used from the next connection on.
 *
 * @param caFile   the certificates of the authorities to trust, or null for the JVM's trusted ones
 * @param certFile the client certificate, followed by any intermediates, or null for none
 * @param keyFile  {@code certFile}'s private key: PKCS #8 ({@code BEGIN PRIVATE KEY}), PKCS #1
 *                 ({@code BEGIN RSA PRIVATE KEY}) or SEC 1 ({@code BEGIN EC PRIVATE KEY}), not encrypted
 */
public record TlsFiles(Path caFile, Path certFile, Path keyFile) {

    /** The {@code *_file} names of configuration and of {@link Unreadable#field()}. */
    public static final String CA_FILE = "ca_file";
    public static final String CERT_FILE = "cert_file";
    public static final String KEY_FILE = "key_file";

    public TlsFiles {
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException(certFile == null
                    ? "keyFile without certFile (expected: both, or neither)"
                    : "certFile without keyFile (expected: both, or neither)");
        }
        if (caFile == null && certFile == null) {
            throw new IllegalArgumentException("no file (expected: caFile, or certFile and keyFile, or all three)");
        }
    }

    /** A file that could not be used, and why; {@link #field()} says which of the three. */
    public static final class Unreadable extends IOException {

        private final String field;

        Unreadable(String field, Path file, String reason) {
            super(field + ": " + file + ": " + reason);
            this.field = field;
        }

        /** {@link #CA_FILE}, {@link #CERT_FILE} or {@link #KEY_FILE}. */
        public String field() {
            return field;
        }

        /** The message without the field's name, for a caller that names the field its own way. */
        public String reason() {
            return getMessage().substring(field.length() + 2);
        }
    }

    /**
     * A TLS context that trusts {@code caFile}'s authorities (or the JVM's) and presents {@code certFile}
     * with {@code keyFile} to a server that asks for a certificate, read from the files now.
     *
     * @throws Unreadable when a file is missing, unreadable, or not what it should be, saying which and why;
     *                    also when the key is not the certificate's
     */
    public SSLContext context() throws Unreadable {
        TrustManagerFactory trust = caFile == null ? null : trust();
        KeyManagerFactory keys = certFile == null ? null : identity();
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys == null ? null : keys.getKeyManagers(), trust == null ? null : trust.getTrustManagers(),
                    null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JVM has no TLS", e); // every JDK has TLS
        }
    }

    /** Trust in {@code caFile}'s authorities alone. */
    private TrustManagerFactory trust() throws Unreadable {
        try {
            KeyStore authorities = emptyStore();
            int n = 0;
            for (X509Certificate authority : Pem.certificates(CA_FILE, caFile)) {
                authorities.setCertificateEntry("ca-" + n++, authority);
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(authorities);
            return trust;
        } catch (GeneralSecurityException | IOException e) {
            throw refused(CA_FILE, caFile, e);
        }
    }

    /** {@code certFile} and its key, checked to belong together. */
    private KeyManagerFactory identity() throws Unreadable {
        List<X509Certificate> chain = Pem.certificates(CERT_FILE, certFile);
        PrivateKey key = Pem.privateKey(KEY_FILE, keyFile);
        try {
            if (!Pem.matches(key, chain.get(0))) {
                throw new Unreadable(KEY_FILE, keyFile, "not the key of the certificate in " + certFile);
            }
            KeyStore identity = emptyStore();
            identity.setKeyEntry("client", key, new char[0], chain.toArray(new X509Certificate[0]));
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(identity, new char[0]);
            return keys;
        } catch (GeneralSecurityException | IOException e) {
            throw refused(KEY_FILE, keyFile, e);
        }
    }

    /** What was read, refused by the JDK (an algorithm it does not have, say), as the file's fault. */
    private static Unreadable refused(String field, Path file, Exception e) {
        return e instanceof Unreadable unreadable ? unreadable
                : new Unreadable(field, file, "not usable for TLS: " + e.getMessage());
    }

    /**
     * When and how large each file was, as the file system says now: a list that differs from an earlier
     * one means a file was replaced or written since. A missing file is in it as such.
     */
    public List<Object> versions() {
        List<Object> versions = new ArrayList<>(3);
        for (Path file : new Path[] {caFile, certFile, keyFile}) {
            if (file == null) {
                continue;
            }
            try {
                BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
                versions.add(List.of(attributes.lastModifiedTime(), attributes.size(), fileKey(attributes)));
            } catch (NoSuchFileException e) {
                versions.add(List.of(file, "missing"));
            } catch (IOException e) {
                versions.add(List.of(file, e.toString()));
            }
        }
        return versions;
    }

    /** The file's identity where the file system has one (an inode): a file renamed over another differs. */
    private static Object fileKey(BasicFileAttributes attributes) {
        Object key = attributes.fileKey();
        return key != null ? key : FileTime.fromMillis(0);
    }

    private static KeyStore emptyStore() throws GeneralSecurityException, IOException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        return store;
    }
}
