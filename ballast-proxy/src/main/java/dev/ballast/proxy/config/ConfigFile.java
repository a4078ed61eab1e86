package dev.ballast.proxy.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads a configuration file, never more than {@link #MAX_BYTES} of it: a wrong path ({@code /dev/zero},
 * a log, a disk image) must be refused with a message, not read whole into a heap sized for proxying,
 * where it would end the process, or a running proxy at its next reload.
 */
public final class ConfigFile {

    /** Far above any real configuration (10,000 endpoints take about 400 KiB). */
    public static final int MAX_BYTES = 4 * 1024 * 1024;

    private ConfigFile() {
    }

    /** The file as UTF-8 text. @throws IOException also when it is a directory, over the limit or not UTF-8 */
    public static String read(Path file) throws IOException {
        return text(readCapped(file));
    }

    /**
     * A configuration document's bytes (from a file, or an etcd key) as UTF-8 text, by the rules a file
     * is read by. @throws IOException when they are over the limit or not UTF-8; {@link
     * ConfigLoader#readFailure} says why in words
     */
    public static String text(byte[] bytes) throws IOException {
        if (bytes.length > MAX_BYTES) {
            throw new Refused("larger than " + (MAX_BYTES >> 20) + " MiB, which no configuration is (is it the right file?)");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            throw new Refused(notUtf8(bytes, in.position()));
        }
        return out.flip().toString();
    }

    /** Where the first byte that is no UTF-8 is, so that an editor can find it. */
    private static String notUtf8(byte[] bytes, int at) {
        int line = 1;
        int column = 1;
        for (int i = 0; i < at; i++) {
            if (bytes[i] == '\n') {
                line++;
                column = 1;
            } else if ((bytes[i] & 0xC0) != 0x80) { // a character's first byte
                column++;
            }
        }
        return String.format("not UTF-8 text: byte 0x%02X at line %d, column %d is not UTF-8 (is the file saved"
                + " in another encoding, such as Latin-1?)", at < bytes.length ? bytes[at] & 0xFF : 0, line, column);
    }

    /**
     * The file's first {@code MAX_BYTES + 1} bytes: all of a file within the limit, and enough to tell
     * one over it (and its changes) apart.
     */
    public static byte[] readCapped(Path file) throws IOException {
        if (file.toString().isEmpty()) {
            throw new Refused("no file name given");
        }
        if (Files.isDirectory(file)) {
            throw new Refused("it is a directory (expected: a YAML file)");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(MAX_BYTES + 1);
        }
    }

    /** Why a file could not be read, in words: "cannot read: no such file". */
    public static String failure(IOException e) {
        String reason = switch (e) {
            case NoSuchFileException missing -> "no such file";
            case AccessDeniedException denied -> "permission denied";
            case Refused refused -> refused.getMessage();
            default -> e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        };
        return "cannot read: " + reason;
    }

    /** A file this reader will not take, with the reason in words. */
    private static final class Refused extends IOException {
        Refused(String reason) {
            super(reason, null);
        }
    }
}
