package dev.ballast.core.endpoint;

import java.util.Objects;

/**
 * A user name and password that a store's servers ask for (etcd with authentication enabled). The
 * password never appears in {@link #toString()}, so a target or a configuration can be logged whole.
 */
public record Credentials(String username, String password) {

    public Credentials {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
        if (username.isBlank()) {
            throw new IllegalArgumentException("username: blank (expected: a user name)");
        }
    }

    @Override
    public String toString() {
        return "Credentials[username=" + username + ", password=***]";
    }
}
