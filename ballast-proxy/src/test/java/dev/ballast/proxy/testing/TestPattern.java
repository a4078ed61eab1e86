package dev.ballast.proxy.testing;

import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

/** A deterministic byte stream of any length: byte {@code i} is a function of {@code i} alone. */
public final class TestPattern {

    private TestPattern() {
    }

    static byte at(long position) {
        return (byte) (position * 31 + (position >>> 11));
    }

    static void fill(ByteBuf buf, long offset, int length) {
        for (int i = 0; i < length; i++) {
            buf.writeByte(at(offset + i));
        }
    }

    /** The SHA-256 (hex) of the first {@code length} bytes. */
    public static String sha256(long length) {
        MessageDigest digest = TestBackend.sha256();
        byte[] block = new byte[64 * 1024];
        for (long offset = 0; offset < length; offset += block.length) {
            int n = (int) Math.min(block.length, length - offset);
            for (int i = 0; i < n; i++) {
                block[i] = at(offset + i);
            }
            digest.update(block, 0, n);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** An input stream of the first {@code length} bytes, calling {@code atHalf} once halfway through. */
    public static InputStream stream(long length, Runnable atHalf) {
        return new InputStream() {
            private long position;
            private boolean halfDone;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (position >= length) {
                    return -1;
                }
                if (!halfDone && position >= length / 2) {
                    halfDone = true;
                    atHalf.run();
                }
                int n = (int) Math.min(len, length - position);
                for (int i = 0; i < n; i++) {
                    b[off + i] = at(position + i);
                }
                position += n;
                return n;
            }
        };
    }
}
