package dev.ballast.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The tests' TLS files, copied out of the test jar into {@code dir} (servers such as etcd read files, not
 * class-path resources): a CA, server certificates (for 127.0.0.1 and localhost, or localhost alone),
 * client certificates, a CA nobody trusts, a server certificate that has expired. Made by {@code make.sh} next to them, valid for a hundred years.
 */
public final class TestTls {

    private static final String[] FILES = {"ca.pem", "other-ca.pem", "server.pem", "server-key.pem", "client.pem",
            "client-key.pem", "client-key-pkcs1.pem", "client-key-encrypted.pem", "client-ec.pem",
            "client-ec-key-sec1.pem", "server-localhost.pem", "server-localhost-key.pem", "expired-ca.pem",
            "server-expired.pem", "server-expired-key.pem"};

    private final Path dir;

    private TestTls(Path dir) {
        this.dir = dir;
    }

    /** Every file, copied into {@code dir}. */
    public static TestTls in(Path dir) {
        try {
            Files.createDirectories(dir);
            for (String name : FILES) {
                try (InputStream in = TestTls.class.getResourceAsStream("/dev/ballast/core/tls/" + name)) {
                    if (in == null) {
                        throw new IllegalStateException("test resource missing: " + name);
                    }
                    Files.copy(in, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new TestTls(dir);
    }

    /** The CA that signed every certificate here. */
    public Path ca() {
        return dir.resolve("ca.pem");
    }

    /** A CA that signed none of them. */
    public Path otherCa() {
        return dir.resolve("other-ca.pem");
    }

    public Path serverCert() {
        return dir.resolve("server.pem");
    }

    public Path serverKey() {
        return dir.resolve("server-key.pem");
    }

    /** A server certificate for {@code localhost} alone, not for 127.0.0.1. */
    public Path localhostServerCert() {
        return dir.resolve("server-localhost.pem");
    }

    public Path localhostServerKey() {
        return dir.resolve("server-localhost-key.pem");
    }

    /** A server certificate for 127.0.0.1 that has expired, signed by {@link #expiredCertificateCa()}. */
    public Path expiredServerCert() {
        return dir.resolve("server-expired.pem");
    }

    public Path expiredServerKey() {
        return dir.resolve("server-expired-key.pem");
    }

    /** The CA of {@link #expiredServerCert()} alone. */
    public Path expiredCertificateCa() {
        return dir.resolve("expired-ca.pem");
    }

    /** An RSA client certificate; its key is {@link #clientKey()} (PKCS #8) and {@link #clientKeyPkcs1()}. */
    public Path clientCert() {
        return dir.resolve("client.pem");
    }

    public Path clientKey() {
        return dir.resolve("client-key.pem");
    }

    public Path clientKeyPkcs1() {
        return dir.resolve("client-key-pkcs1.pem");
    }

    /** {@link #clientKey()}, encrypted with the passphrase {@code secret}. */
    public Path clientKeyEncrypted() {
        return dir.resolve("client-key-encrypted.pem");
    }

    /** An EC (P-256) client certificate; its key is {@link #ecClientKeySec1()}. */
    public Path ecClientCert() {
        return dir.resolve("client-ec.pem");
    }

    public Path ecClientKeySec1() {
        return dir.resolve("client-ec-key-sec1.pem");
    }
}
