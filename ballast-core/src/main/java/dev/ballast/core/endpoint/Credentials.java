package dev.ballast.core.endpoint;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A user name and password that a store's servers ask for (etcd with authentication enabled). The
 * password is given as text, or as a file whose first line it is: a file is read at each login
 * ({@link #currentPassword()}), so that a password rotated in place (a Kubernetes secret, say) is used
 * from the next login on, without a restart. The password never appears in {@link #toString()}, so a
 * target or a configuration can be logged whole.
 *
 * @param username     who to log in as
 * @param password     the password, or null when {@code passwordFile} holds it
 * @param passwordFile a file whose first line is the password, or null when {@code password} is given
 */
public record Credentials(String username, String password, Path passwordFile) {

    /** Far above any password: a larger file is the wrong file (say {@code /dev/zero}), and is not read on. */
    public static final int MAX_PASSWORD_FILE_BYTES = 4 * 1024;

    public Credentials {
        Objects.requireNonNull(username, "username");
        if (username.isBlank()) {
            throw new IllegalArgumentException("username: blank (expected: a user name)");
        }
        if ((password == null) == (passwordFile == null)) {
            throw new IllegalArgumentException(password == null
                    ? "no password (expected: a password, or a file that holds it)"
                    : "both a password and a password file (expected: one of them)");
        }
    }

    /** A login with the password itself. */
    public Credentials(String username, String password) {
        this(username, Objects.requireNonNull(password, "password"), null);
    }

    /** A login whose password is the first line of {@code file}, read at each login. */
    public static Credentials withPasswordFile(String username, Path file) {
        return new Credentials(username, null, Objects.requireNonNull(file, "file"));
    }

    /**
     * The password to log in with now: the one given, or the first line of the file as it is now
     * (UTF-8, without the line's end).
     *
     * @throws IOException when the file cannot be read, is not a regular file, is empty, or is too large
     *                     to be a password file; the message names the file and says which
     */
    public String currentPassword() throws IOException {
        if (password != null) {
            return password;
        }
        if (Files.exists(passwordFile) && !Files.isRegularFile(passwordFile) && !Files.isDirectory(passwordFile)) {
            // A pipe with no writer would keep the login waiting, for ever; a device is no secret.
            throw unreadable("not a regular file (a pipe or a device; expected: a file that holds the password)",
                    null);
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(passwordFile)) {
            bytes = in.readNBytes(MAX_PASSWORD_FILE_BYTES + 1);
        } catch (IOException e) {
            throw unreadable(switch (e) {
                case NoSuchFileException missing -> "no such file";
                case AccessDeniedException denied -> "permission denied";
                case FileSystemException other when other.getReason() != null -> other.getReason();
                default -> e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            }, e);
        }
        if (bytes.length > MAX_PASSWORD_FILE_BYTES) {
            throw unreadable("larger than " + (MAX_PASSWORD_FILE_BYTES >> 10)
                    + " KiB, which no password file is (is it the right file?)", null);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw unreadable("not UTF-8 text", e);
        }
        String first = text.lines().findFirst().orElse("");
        if (first.isEmpty()) {
            throw new IOException(passwordFile + " is empty (expected: the password on its first line)");
        }
        return first;
    }

    private IOException unreadable(String reason, Exception cause) {
        return new IOException(passwordFile + ": cannot read: " + reason, cause);
    }

    @Override
    public String toString() {
        return "Credentials[username=" + username + ", password=" + (password != null ? "***" : "from " + passwordFile)
                + "]";
    }
}
