package dev.ballast.discovery.etcd;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A value as etcd keeps it: bytes, which each reader decodes by its own rules (a configuration, as a
 * file is, strictly as UTF-8; an endpoint likewise), so that nothing is changed on the way.
 */
public final class EtcdValue {

    private final byte[] bytes;

    public EtcdValue(byte[] bytes) {
        this.bytes = bytes.clone();
    }

    /** For callers that have text: its UTF-8 bytes. */
    public static EtcdValue of(String text) {
        return new EtcdValue(text.getBytes(StandardCharsets.UTF_8));
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    /** The value as UTF-8 text. @throws CharacterCodingException when it is not UTF-8 */
    public String utf8() throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes))
                .toString();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof EtcdValue value && Arrays.equals(bytes, value.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** For logs: the text, with anything that is not UTF-8 replaced. */
    @Override
    public String toString() {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
