package dev.ballast.core.endpoint;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A store's login: never printed, carried by a watch target, and refused without a user name. */
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
}
