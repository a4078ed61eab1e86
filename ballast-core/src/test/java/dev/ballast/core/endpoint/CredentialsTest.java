package dev.ballast.core.endpoint;

import dev.ballast.core.testing.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A store's login: never printed, carried by a watch target, refused without a user name, and with its
 * password in a file read afresh at each login.
 */
class CredentialsTest {

    @Test
    void thePasswordIsNeverPrintedNotEvenInATarget() {
        Credentials login = new Credentials("ballast", "s3cret");
        WatchTarget target = new WatchTarget("upstream api", List.of(URI.create("http://127.0.0.1:2379")), 1_000,
                "/services/api/").withCredentials(login);

        assertThat(login.toString()).contains("ballast").doesNotContain("s3cret");
        assertThat(target.toString()).contains("ballast").doesNotContain("s3cret");
        assertThat(target.credentials()).isEqualTo(new Credentials("ballast", "s3cret"));
    }

    @Test
    void aTargetWithoutALoginHasNone() {
        WatchTarget target = new WatchTarget("upstream api", List.of(URI.create("http://127.0.0.1:2379")), 1_000,
                "/services/api/");

        assertThat(target.credentials()).isNull();
        assertThat(target.withCredentials(new Credentials("u", "p")).withCredentials(null)).isEqualTo(target);
    }

    @Test
    void aLoginNeedsAUserName() {
        assertThatThrownBy(() -> new Credentials("", "p")).hasMessageContaining("username: blank");
        assertThatThrownBy(() -> new Credentials(" ", "p")).hasMessageContaining("username: blank");
    }

    @Test
    void aLoginHasAPasswordOrAPasswordFileNotBothOrNeither(@TempDir Path dir) {
        assertThatThrownBy(() -> new Credentials("u", null, null)).hasMessageContaining("no password");
        assertThatThrownBy(() -> new Credentials("u", "p", dir.resolve("p"))).hasMessageContaining("both a password");
        assertThatThrownBy(() -> new Credentials("u", null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void aPasswordFileIsReadAtEachLoginSoARotationNeedsNoRestart(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("etcd-password"), "first one\n");
        Credentials login = Credentials.withPasswordFile("ballast", file);
        assertThat(login.currentPassword()).isEqualTo("first one");

        Files.writeString(file, "second one\r\nignored\n");

        assertThat(login.currentPassword()).isEqualTo("second one");
        assertThat(Credentials.withPasswordFile("ballast", file)).as("paths only: equal settings, equal logins")
                .isEqualTo(login);
        assertThat(login.toString()).isEqualTo("Credentials[username=ballast, password=from " + file + "]");
        assertThat(new Credentials("ballast", "given").currentPassword()).isEqualTo("given");
    }

    @Test
    void aPasswordFileThatCannotBeUsedIsAnErrorNamingTheFileAndWhy(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("missing");
        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        Path huge = Files.write(dir.resolve("huge"), new byte[Credentials.MAX_PASSWORD_FILE_BYTES + 1]);
        Path latin1 = Files.write(dir.resolve("latin1"), new byte[] {'c', 'a', 'f', (byte) 0xe9, '\n'});

        assertThat(failure(missing)).isEqualTo(missing + ": cannot read: no such file");
        assertThat(failure(empty)).isEqualTo(empty + " is empty (expected: the password on its first line)");
        assertThat(failure(huge)).isEqualTo(huge + ": cannot read: larger than 4 KiB, which no password file is"
                + " (is it the right file?)");
        assertThat(failure(latin1)).isEqualTo(latin1 + ": cannot read: not UTF-8 text");
        assertThat(failure(dir)).isEqualTo(dir + ": cannot read: Is a directory");
    }

    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a read of the pipe would never end
    void aPipeOrADeviceIsRefusedAtOnceNotReadAsAPasswordFile(@TempDir Path dir) throws Exception {
        Path pipe = TestFiles.pipe(dir.resolve("pipe"));

        assertThat(failure(pipe)).as("no writer: opening it would wait").isEqualTo(pipe + ": cannot read: not a"
                + " regular file (a pipe or a device; expected: a file that holds the password)");
        assertThat(failure(Path.of("/dev/zero"))).startsWith("/dev/zero: cannot read: not a regular file");
    }

    @Test
    void aPasswordFileMayBeALinkToARegularFileAsAMountedSecretIs(@TempDir Path dir) throws Exception {
        Path secret = Files.writeString(dir.resolve("secret"), "s3cret\n");
        Path link = Files.createSymbolicLink(dir.resolve("password"), secret);

        assertThat(Credentials.withPasswordFile("ballast", link).currentPassword()).isEqualTo("s3cret");
    }

    private static String failure(Path file) {
        try {
            Credentials.withPasswordFile("ballast", file).currentPassword();
            throw new AssertionError("read " + file);
        } catch (IOException e) {
            return e.getMessage();
        }
    }
}
