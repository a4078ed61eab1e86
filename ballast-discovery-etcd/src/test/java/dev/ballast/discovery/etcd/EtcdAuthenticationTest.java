package dev.ballast.discovery.etcd;

import dev.ballast.core.endpoint.Credentials;
import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.endpoint.WatchTarget;
import dev.ballast.discovery.etcd.testing.EtcdServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * etcd with authentication enabled, for real: Ballast logs in as a user who may read the prefix,
 * follows it, also across a restart of the member, logs in again when its token expired, reads a password
 * file again at each login, says why when the login is missing or wrong, and logs in to a cluster that
 * asks for none without harm.
 */
class EtcdAuthenticationTest {

    private static final String PREFIX = "/services/orders/";
    private static final Credentials READER = new Credentials("ballast", "s3cret word");

    @Test
    void aWatchLogsInAndFollowsThePrefixAcrossARestartOfTheMember() throws Exception {
        try (EtcdServer etcd = EtcdServer.started()) {
            etcd.enableAuthentication("root-password", READER.username(), READER.password(), PREFIX);
            etcd.put(PREFIX + "a", "10.0.0.1:8080");
            AtomicReference<List<Endpoint>> seen = new AtomicReference<>();
            try (EtcdWatch watch = EtcdEndpoints.watch(target(etcd).withCredentials(READER), seen::set)) {
                watch.start();
                awaitAddresses(seen, "10.0.0.1:8080");

                etcd.put(PREFIX + "b", "10.0.0.2:8080");
                awaitAddresses(seen, "10.0.0.1:8080", "10.0.0.2:8080");

                etcd.stop();
                etcd.start();
                etcd.put(PREFIX + "c", "10.0.0.3:8080");
                awaitAddresses(seen, "10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080");
            }
        }
    }

    @Test
    void aCallWhoseTokenExpiredLogsInAgainAndIsMadeOnceMore() throws Exception {
        try (EtcdServer etcd = EtcdServer.started();
             EtcdClient client = new EtcdClient(Duration.ofSeconds(5), READER, null)) {
            etcd.enableAuthentication("root-password", READER.username(), READER.password(), PREFIX);
            etcd.put(PREFIX + "a", "10.0.0.1:8080");
            List<URI> members = List.of(URI.create(etcd.url()));
            assertThat(client.range(members, PREFIX).values()).containsOnlyKeys(PREFIX + "a");

            // Tokens taken after the client's, each tried once (a use keeps a token alive): the first that etcd
            // refuses had gone unused for over a second, and so has the client's (this etcd's tokens then expire).
            List<String> probes = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                probes.add(etcd.logIn(READER.username(), READER.password()));
            }
            Iterator<String> unused = probes.iterator();
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(500))
                    .until(() -> unused.hasNext() && !etcd.accepts(unused.next()));
            etcd.put(PREFIX + "b", "10.0.0.2:8080");

            assertThat(client.range(members, PREFIX).values()).containsOnlyKeys(PREFIX + "a", PREFIX + "b");
        }
    }

    @Test
    void aPasswordRotatedInItsFileIsUsedAtTheNextLogin(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("etcd-password"), READER.password() + "\n");
        try (EtcdServer etcd = EtcdServer.started();
             EtcdClient client = new EtcdClient(Duration.ofSeconds(5),
                     Credentials.withPasswordFile(READER.username(), file), null)) {
            etcd.enableAuthentication("root-password", READER.username(), READER.password(), PREFIX);
            etcd.put(PREFIX + "a", "10.0.0.1:8080");
            List<URI> members = List.of(URI.create(etcd.url()));
            assertThat(client.range(members, PREFIX).values()).containsOnlyKeys(PREFIX + "a");
            String before = etcd.logIn(READER.username(), READER.password());

            Files.writeString(file, "the new password\n");
            etcd.changePassword(READER.username(), "the new password");
            assertThat(etcd.accepts(before)).as("etcd refuses the tokens given before, the client's too").isFalse();
            etcd.put(PREFIX + "b", "10.0.0.2:8080");

            assertThat(client.range(members, PREFIX).values()).containsOnlyKeys(PREFIX + "a", PREFIX + "b");
        }
    }

    @Test
    void aPasswordFileThatCannotBeReadAtALoginFailsItNamingTheFile(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("gone");
        try (EtcdServer etcd = EtcdServer.started()) {
            etcd.enableAuthentication("root-password", READER.username(), READER.password(), PREFIX);

            assertThatThrownBy(() -> EtcdWatch.read(target(etcd)
                    .withCredentials(Credentials.withPasswordFile(READER.username(), missing))))
                    .isInstanceOf(IOException.class)
                    .hasMessage("etcd " + etcd.url() + ": cannot log in as 'ballast': the password file " + missing
                            + ": cannot read: no such file");
        }
    }

    @Test
    void withoutALoginTheErrorSaysTheClusterAsksForOne() throws Exception {
        try (EtcdServer etcd = EtcdServer.started()) {
            etcd.enableAuthentication("root-password", READER.username(), READER.password(), PREFIX);

            assertThatThrownBy(() -> EtcdWatch.read(target(etcd)))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("user name is empty")
                    .hasMessageContaining("the cluster has authentication enabled: a user name and password are needed");
        }
    }

    @Test
    void aWrongPasswordIsRefusedNamingTheUser() throws Exception {
        try (EtcdServer etcd = EtcdServer.started()) {
            etcd.enableAuthentication("root-password", READER.username(), READER.password(), PREFIX);

            assertThatThrownBy(() -> EtcdWatch.read(target(etcd).withCredentials(new Credentials("ballast", "guess"))))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("cannot log in as 'ballast'")
                    .hasMessageContaining("authentication failed")
                    .hasMessageNotContaining("guess");
        }
    }

    @Test
    void aLoginToAClusterWithoutAuthenticationIsHarmless() throws Exception {
        try (EtcdServer etcd = EtcdServer.started()) {
            etcd.put(PREFIX, "the value");

            assertThat(EtcdWatch.read(target(etcd).withCredentials(READER))).map(EtcdValue::toString)
                    .contains("the value");
        }
    }

    private static WatchTarget target(EtcdServer etcd) {
        return new WatchTarget("service orders", List.of(URI.create(etcd.url())), 5_000, PREFIX);
    }

    private static void awaitAddresses(AtomicReference<List<Endpoint>> seen, String... addresses) {
        await().atMost(Duration.ofSeconds(30)).until(
                () -> seen.get() == null ? null : seen.get().stream().map(Endpoint::address).toList(),
                List.of(addresses)::equals);
    }
}
