package dev.ballast.core.endpoint;

import dev.ballast.core.testing.TestTls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TlsFilesTest {

    private static final int TIMEOUT_MILLIS = 5_000;

    @TempDir
    Path dir;
    private final ExecutorService server = Executors.newSingleThreadExecutor();

    @AfterEach
    void stopServer() throws InterruptedException {
        server.shutdownNow();
        assertThat(server.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"PKCS #8", "PKCS #1", "SEC 1"})
    void aClientCertificateWithItsKeyInEachPemFormPassesAServerThatAsksForOne(String form) throws Exception {
        TestTls files = TestTls.in(dir);
        TlsFiles client = switch (form) {
            case "PKCS #8" -> new TlsFiles(files.ca(), files.clientCert(), files.clientKey());
            case "PKCS #1" -> new TlsFiles(files.ca(), files.clientCert(), files.clientKeyPkcs1());
            default -> new TlsFiles(files.ca(), files.ecClientCert(), files.ecClientKeySec1());
        };

        String clientSeenByServer = exchange(files, client.context());

        assertThat(clientSeenByServer).startsWith(form.equals("SEC 1") ? "CN=ballast-ec" : "CN=ballast");
    }

    @Test
    void aServerCertifiedByAnAuthorityNotInCaFileIsRefused() throws Exception {
        TestTls files = TestTls.in(dir);
        SSLContext trustsAnother = new TlsFiles(files.otherCa(), files.clientCert(), files.clientKey()).context();

        assertThatThrownBy(() -> exchange(files, trustsAnother)).isInstanceOf(SSLHandshakeException.class)
                .hasMessageContaining("PKIX path");
    }

    @Test
    void withoutAClientCertificateAServerThatAsksForOneRefuses() throws Exception {
        TestTls files = TestTls.in(dir);
        SSLContext noCertificate = new TlsFiles(files.ca(), null, null).context();

        assertThatThrownBy(() -> exchange(files, noCertificate)).isInstanceOf(IOException.class);
    }

    @Test
    void aMissingFileIsNamedWithItsField() {
        TestTls files = TestTls.in(dir);
        TlsFiles tls = new TlsFiles(files.ca(), files.clientCert(), dir.resolve("nowhere.pem"));

        assertThatThrownBy(tls::context).isInstanceOfSatisfying(TlsFiles.Unreadable.class, e -> {
            assertThat(e.field()).isEqualTo("key_file");
            assertThat(e.reason()).isEqualTo(dir.resolve("nowhere.pem") + ": no such file");
        });
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsRefused() {
        TestTls files = TestTls.in(dir);
        TlsFiles tls = new TlsFiles(null, files.clientCert(), files.ecClientKeySec1());

        assertThatThrownBy(tls::context).isInstanceOfSatisfying(TlsFiles.Unreadable.class, e -> {
            assertThat(e.field()).isEqualTo("key_file");
            assertThat(e.getMessage()).contains("not the key of the certificate in " + files.clientCert());
        });
    }

    @Test
    void anRsaKeyOfAnotherCertificateIsRefused() {
        TestTls files = TestTls.in(dir);
        TlsFiles tls = new TlsFiles(null, files.clientCert(), files.serverKey());

        assertThatThrownBy(tls::context).isInstanceOfSatisfying(TlsFiles.Unreadable.class,
                e -> assertThat(e.getMessage()).contains("not the key of the certificate in " + files.clientCert()));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "MA4CAQEEAQCgBgaEf///8AAAAA==", // the curve's OID claims some 2 GiB, in four length bytes
            "MA0CAQEEAQCgBQaD////"})        // the curve's OID claims 16 MiB, past the end of 15 bytes
    void aKeyWhoseDerLiesAboutItsLengthsIsRefusedNotRead(String sec1) throws IOException {
        TestTls files = TestTls.in(dir);
        Path lying = Files.writeString(dir.resolve("lying.pem"),
                "-----BEGIN EC PRIVATE KEY-----\n" + sec1 + "\n-----END EC PRIVATE KEY-----\n");

        assertThatThrownBy(() -> new TlsFiles(null, files.ecClientCert(), lying).context())
                .isInstanceOfSatisfying(TlsFiles.Unreadable.class, e -> {
                    assertThat(e.field()).isEqualTo("key_file");
                    assertThat(e.reason()).endsWith("not a valid EC PRIVATE KEY (its DER is cut short)");
                });
    }

    @Test
    void aPipeIsRefusedNotWaitedOn() throws Exception {
        Path fifo = dir.resolve("fifo.pem");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertThat(mkfifo.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(mkfifo.exitValue()).isZero();

        assertThatThrownBy(() -> new TlsFiles(fifo, null, null).context())
                .isInstanceOfSatisfying(TlsFiles.Unreadable.class,
                        e -> assertThat(e.reason()).endsWith("not a regular file (expected: a PEM file)"));
    }

    @Test
    void aCaFileTrustsItsAuthoritiesWhereTheJvmsDoNot() throws Exception {
        TestTls files = TestTls.in(dir);
        SSLContext context = new TlsFiles(files.ca(), files.clientCert(), files.clientKey()).context();
        TrustManagerFactory jvm = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        jvm.init((KeyStore) null);

        // The server is certified by the test CA: trusted with ca_file, not by the JVM's authorities alone.
        assertThat(exchange(files, context)).isNotEmpty();
        SSLContext jvmTrustOnly = SSLContext.getInstance("TLS");
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        KeyStore identity = KeyStore.getInstance("PKCS12");
        identity.load(null, null);
        identity.setKeyEntry("client", Pem.privateKey("key_file", files.clientKey()), new char[0],
                Pem.certificates("cert_file", files.clientCert()).toArray(new X509Certificate[0]));
        keys.init(identity, new char[0]);
        jvmTrustOnly.init(keys.getKeyManagers(), jvm.getTrustManagers(), null); // the same client certificate
        assertThatThrownBy(() -> exchange(files, jvmTrustOnly)).isInstanceOf(SSLHandshakeException.class)
                .hasMessageContaining("PKIX path");
    }

    @Test
    void anEncryptedKeyIsRefusedWithHowToDecryptIt() {
        TestTls files = TestTls.in(dir);
        TlsFiles tls = new TlsFiles(null, files.clientCert(), files.clientKeyEncrypted());

        assertThatThrownBy(tls::context).isInstanceOfSatisfying(TlsFiles.Unreadable.class, e -> {
            assertThat(e.field()).isEqualTo("key_file");
            assertThat(e.getMessage()).contains("an encrypted private key").contains("openssl pkey -in");
        });
    }

    @Test
    void aFileWithoutWhatItShouldHoldSaysWhatWasExpected() throws IOException {
        TestTls files = TestTls.in(dir);
        Path notPem = Files.writeString(dir.resolve("notes.txt"), "hello\n");

        assertThatThrownBy(() -> new TlsFiles(notPem, null, null).context())
                .isInstanceOfSatisfying(TlsFiles.Unreadable.class, e -> {
                    assertThat(e.field()).isEqualTo("ca_file");
                    assertThat(e.reason()).endsWith("no certificate in it (expected PEM: -----BEGIN CERTIFICATE-----)");
                });
        assertThatThrownBy(() -> new TlsFiles(null, files.clientCert(), files.clientCert()).context())
                .isInstanceOfSatisfying(TlsFiles.Unreadable.class, e -> {
                    assertThat(e.field()).isEqualTo("key_file");
                    assertThat(e.reason()).contains("no private key in it");
                });
        assertThatThrownBy(() -> new TlsFiles(dir, null, null).context())
                .isInstanceOfSatisfying(TlsFiles.Unreadable.class,
                        e -> assertThat(e.reason()).endsWith("a directory (expected: a PEM file)"));
    }

    @Test
    void aCertificateAndItsKeyComeTogetherOrNotAtAll() {
        Path any = dir.resolve("any.pem");

        assertThatThrownBy(() -> new TlsFiles(any, any, null)).hasMessageContaining("certFile without keyFile");
        assertThatThrownBy(() -> new TlsFiles(any, null, any)).hasMessageContaining("keyFile without certFile");
        assertThatThrownBy(() -> new TlsFiles(null, null, null)).hasMessageContaining("no file");
    }

    @Test
    void versionsChangeWhenAFileIsReplaced() throws IOException {
        TestTls files = TestTls.in(dir);
        TlsFiles tls = new TlsFiles(files.ca(), files.clientCert(), files.clientKey());
        Object before = tls.versions();

        assertThat(tls.versions()).isEqualTo(before);
        Path renewed = Files.copy(files.ecClientCert(), dir.resolve("renewed.pem"));
        Files.setLastModifiedTime(renewed, FileTime.from(Instant.now().plusSeconds(5)));
        Files.move(renewed, files.clientCert(), StandardCopyOption.REPLACE_EXISTING);
        assertThat(tls.versions()).isNotEqualTo(before);
    }

    /**
     * One byte there and back with a TLS server on 127.0.0.1 that presents the test server certificate
     * and asks for a client certificate signed by the test CA; returns the client's subject as the server saw it.
     */
    private String exchange(TestTls files, SSLContext client) throws Exception {
        SSLContext serverContext = new TlsFiles(files.ca(), files.serverCert(), files.serverKey()).context();
        try (SSLServerSocket listener = (SSLServerSocket) serverContext.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            listener.setNeedClientAuth(true);
            listener.setSoTimeout(TIMEOUT_MILLIS);
            Future<String> accepted = server.submit(() -> {
                try (SSLSocket socket = (SSLSocket) listener.accept()) {
                    socket.setSoTimeout(TIMEOUT_MILLIS);
                    socket.getOutputStream().write(socket.getInputStream().read());
                    socket.getOutputStream().flush();
                    return socket.getSession().getPeerPrincipal().getName();
                }
            });
            try (SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket()) {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort()),
                        TIMEOUT_MILLIS);
                socket.setSoTimeout(TIMEOUT_MILLIS);
                socket.getOutputStream().write(42);
                socket.getOutputStream().flush();
                if (socket.getInputStream().read() != 42) {
                    throw new IOException("the server closed the connection");
                }
            }
            return accepted.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS); // the server's close waits for the client's
        }
    }
}
