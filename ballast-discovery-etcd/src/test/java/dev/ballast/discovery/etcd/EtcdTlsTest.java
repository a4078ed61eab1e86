package dev.ballast.discovery.etcd;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.endpoint.TlsFiles;
import dev.ballast.core.endpoint.WatchTarget;
import dev.ballast.core.testing.TestTls;
import dev.ballast.discovery.etcd.testing.EtcdServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * etcd over TLS, for real: a member that serves https and asks every client for a certificate signed by
 * its CA (etcd's {@code --client-cert-auth}), as a Kubernetes control plane's etcd does.
 */
class EtcdTlsTest {

    private static final String PREFIX = "/services/orders/";

    @TempDir
    Path dir;

    @Test
    void aWatchFollowsThePrefixOnAMemberThatAsksForAClientCertificate() throws Exception {
        TestTls tls = TestTls.in(dir);
        try (EtcdServer etcd = EtcdServer.startedWithTls(tls, true)) {
            etcd.put(PREFIX + "a", "10.0.0.1:8080");
            AtomicReference<List<Endpoint>> seen = new AtomicReference<>();
            TlsFiles files = new TlsFiles(tls.ca(), tls.clientCert(), tls.clientKeyPkcs1()); // as kubeadm writes keys
            try (EtcdWatch watch = EtcdEndpoints.watch(target(etcd).withTls(files), seen::set)) {
                watch.start();
                awaitAddresses(seen, "10.0.0.1:8080");

                etcd.put(PREFIX + "b", "10.0.0.2:8080");
                awaitAddresses(seen, "10.0.0.1:8080", "10.0.0.2:8080");
            }
        }
    }

    @Test
    void withoutAClientCertificateTheErrorSaysTheMemberAsksForOne() throws Exception {
        TestTls tls = TestTls.in(dir);
        try (EtcdServer etcd = EtcdServer.startedWithTls(tls, true)) {
            // With TLS 1.3 the member's refusal comes as an alert or as a connection closed without an answer,
            // as it happens: either way the error says what to set.
            assertThatThrownBy(() -> EtcdWatch.read(target(etcd).withTls(new TlsFiles(tls.ca(), null, null))))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("client certificate")
                    .hasMessageContaining("a client certificate and its key");
        }
    }

    @Test
    void aMemberCertifiedByAnAuthorityNotTrustedIsRefusedSayingSo() throws Exception {
        TestTls tls = TestTls.in(dir);
        try (EtcdServer etcd = EtcdServer.startedWithTls(tls, false)) {
            assertThatThrownBy(() -> EtcdWatch.read(target(etcd).withTls(new TlsFiles(tls.otherCa(), null, null))))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("TLS: the member's certificate is not signed by an authority trusted here");
            // Without files, the JVM's trusted authorities, which do not have the test CA either.
            assertThatThrownBy(() -> EtcdWatch.read(target(etcd)))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("not signed by an authority trusted here");
        }
    }

    @Test
    void aMemberWhoseCertificateHasExpiredIsRefusedSayingSoNotBlamingTheAuthority() throws Exception {
        TestTls tls = TestTls.in(dir);
        HttpsServer member = unavailableMember(new TlsFiles(null, tls.expiredServerCert(), tls.expiredServerKey()));
        try {
            URI url = URI.create("https://127.0.0.1:" + member.getAddress().getPort());

            assertThatThrownBy(() -> EtcdWatch.read(target(url).withTls(new TlsFiles(tls.expiredCertificateCa(), null, null))))
                    .hasMessageContaining("TLS: the member's certificate has expired")
                    .hasMessageNotContaining("not signed by an authority");
        } finally {
            member.stop(0);
        }
    }

    @Test
    void aMemberWhoseCertificateDoesNotNameTheHostOfItsUrlIsRefused() throws Exception {
        TestTls tls = TestTls.in(dir);
        HttpsServer member = unavailableMember(new TlsFiles(null, tls.localhostServerCert(), tls.localhostServerKey()));
        try {
            int port = member.getAddress().getPort();
            TlsFiles trustTheCa = new TlsFiles(tls.ca(), null, null);

            URI byAddress = URI.create("https://127.0.0.1:" + port);
            URI byName = URI.create("https://localhost:" + port);
            assertThatThrownBy(() -> EtcdWatch.read(target(byAddress).withTls(trustTheCa)))
                    .hasMessageContaining("TLS: the member's certificate is not for the host of its URL");
            // By the name its certificate has, the same member gets as far as an answer.
            assertThatThrownBy(() -> EtcdWatch.read(target(byName).withTls(trustTheCa)))
                    .hasMessageContaining("answered 503");
        } finally {
            member.stop(0);
        }
    }

    @Test
    void filesReplacedOnDiskAreReadForTheNextConnection() throws Exception {
        TestTls tls = TestTls.in(dir);
        Path ca = Files.copy(tls.otherCa(), dir.resolve("trusted.pem"));
        try (EtcdServer etcd = EtcdServer.startedWithTls(tls, true)) {
            etcd.put(PREFIX + "a", "10.0.0.1:8080");
            AtomicReference<List<Endpoint>> seen = new AtomicReference<>();
            TlsFiles files = new TlsFiles(ca, tls.clientCert(), tls.clientKey());
            try (EtcdWatch watch = EtcdEndpoints.watch(target(etcd).withTls(files), seen::set)) {
                watch.start();
                await().atMost(Duration.ofSeconds(30)).until(() -> String.valueOf(watch.status().lastError()),
                        error -> error.contains("etcd " + etcd.url() + ": TLS: the member's certificate is not signed"
                                + " by an authority trusted here"));

                Path renewed = Files.copy(tls.ca(), dir.resolve("renewed.pem"));
                Files.move(renewed, ca, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

                awaitAddresses(seen, "10.0.0.1:8080");
            }
        }
    }

    @Test
    void filesThatChangeButCannotBeUsedLeaveTheFilesReadBeforeInUse() throws Exception {
        TestTls tls = TestTls.in(dir);
        try (EtcdServer etcd = EtcdServer.startedWithTls(tls, true)) {
            etcd.put(PREFIX + "a", "10.0.0.1:8080");
            AtomicReference<List<Endpoint>> seen = new AtomicReference<>();
            TlsFiles files = new TlsFiles(tls.ca(), tls.clientCert(), tls.clientKey());
            try (EtcdWatch watch = EtcdEndpoints.watch(target(etcd).withTls(files), seen::set)) {
                watch.start();
                awaitAddresses(seen, "10.0.0.1:8080");

                // A renewal half done: the new key is not the certificate's. The watch must reconnect meanwhile.
                Path wrongKey = Files.copy(tls.ecClientKeySec1(), dir.resolve("half.pem"));
                Files.move(wrongKey, tls.clientKey(), StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
                etcd.stop();
                etcd.start();
                etcd.put(PREFIX + "b", "10.0.0.2:8080");

                awaitAddresses(seen, "10.0.0.1:8080", "10.0.0.2:8080");
            }
        }
    }

    @Test
    void anUnreadableFileFailsTheCallNamingIt() throws Exception {
        TestTls tls = TestTls.in(dir);
        try (EtcdServer etcd = EtcdServer.startedWithTls(tls, false)) {
            TlsFiles missing = new TlsFiles(dir.resolve("gone.pem"), null, null);

            assertThatThrownBy(() -> EtcdWatch.read(target(etcd).withTls(missing)))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("tls.ca_file: " + dir.resolve("gone.pem") + ": no such file");
        }
    }

    private static WatchTarget target(EtcdServer etcd) {
        return target(URI.create(etcd.url()));
    }

    private static WatchTarget target(URI member) {
        return new WatchTarget("service orders", List.of(member), 5_000, PREFIX);
    }

    /** An https server with {@code identity}'s certificate that answers everything 503, started. */
    private static HttpsServer unavailableMember(TlsFiles identity) throws Exception {
        HttpsServer member = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        member.setHttpsConfigurator(new HttpsConfigurator(identity.context()));
        member.createContext("/", exchange -> {
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
        });
        member.start();
        return member;
    }

    private static void awaitAddresses(AtomicReference<List<Endpoint>> seen, String... addresses) {
        await().atMost(Duration.ofSeconds(30)).until(
                () -> seen.get() == null ? null : seen.get().stream().map(Endpoint::address).toList(),
                List.of(addresses)::equals);
    }
}
