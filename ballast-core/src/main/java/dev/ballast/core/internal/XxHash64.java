package dev.ballast.core.internal;

/**
 * XXH64, Yann Collet's 64-bit hash, written from its specification
 * (github.com/Cyan4973/xxHash, doc/xxhash_spec.md) and checked against the reference test vectors.
 * The hash balancers use it because it is specified and stable: every process, whatever its JVM,
 * maps a key to the same endpoint. {@link String#hashCode()} is neither wide nor well mixed enough.
 */
public final class XxHash64 {

    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;
    private static final long P3 = 0x165667B19E3779F9L;
    private static final long P4 = 0x85EBCA77C2B2AE63L;
    private static final long P5 = 0x27D4EB2F165667C5L;

    private XxHash64() {
    }

    public static long hash(byte[] data, long seed) {
        return hash(data, 0, data.length, seed);
    }

    public static long hash(byte[] data, int offset, int length, long seed) {
        return hash(Input.BYTES, data, offset, length, seed);
    }

    /**
     * Hashes the UTF-8 encoding of {@code text} without allocating when it is ASCII (the common
     * case for header values, cookies and paths); other text is encoded first.
     */
    public static long hash(CharSequence text, long seed) {
        int length = text.length();
        for (int i = 0; i < length; i++) {
            if (text.charAt(i) >= 0x80) {
                byte[] utf8 = text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                return hash(utf8, seed);
            }
        }
        return hash(Input.ASCII, text, 0, length, seed);
    }

    /** Reads bytes from either a byte array or an ASCII char sequence, so one loop serves both. */
    private enum Input {
        BYTES {
            @Override
            int byteAt(Object source, int index) {
                return ((byte[]) source)[index] & 0xFF;
            }
        },
        ASCII {
            @Override
            int byteAt(Object source, int index) {
                return ((CharSequence) source).charAt(index) & 0xFF;
            }
        };

        abstract int byteAt(Object source, int index);

        long long64(Object source, int index) {
            return (long) byteAt(source, index)
                    | (long) byteAt(source, index + 1) << 8
                    | (long) byteAt(source, index + 2) << 16
                    | (long) byteAt(source, index + 3) << 24
                    | (long) byteAt(source, index + 4) << 32
                    | (long) byteAt(source, index + 5) << 40
                    | (long) byteAt(source, index + 6) << 48
                    | (long) byteAt(source, index + 7) << 56;
        }

        long int32(Object source, int index) {
            return (long) byteAt(source, index)
                    | (long) byteAt(source, index + 1) << 8
                    | (long) byteAt(source, index + 2) << 16
                    | (long) byteAt(source, index + 3) << 24;
        }
    }

    private static long hash(Input input, Object source, int offset, int length, long seed) {
        int end = offset + length;
        int p = offset;
        long h;
        if (length >= 32) {
            long v1 = seed + P1 + P2;
            long v2 = seed + P2;
            long v3 = seed;
            long v4 = seed - P1;
            int limit = end - 32;
            do {
                v1 = round(v1, input.long64(source, p));
                v2 = round(v2, input.long64(source, p + 8));
                v3 = round(v3, input.long64(source, p + 16));
                v4 = round(v4, input.long64(source, p + 24));
                p += 32;
            } while (p <= limit);
            h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12) + Long.rotateLeft(v4, 18);
            h = merge(h, v1);
            h = merge(h, v2);
            h = merge(h, v3);
            h = merge(h, v4);
        } else {
            h = seed + P5;
        }
        h += length;
        while (p + 8 <= end) {
            h ^= round(0, input.long64(source, p));
            h = Long.rotateLeft(h, 27) * P1 + P4;
            p += 8;
        }
        if (p + 4 <= end) {
            h ^= input.int32(source, p) * P1;
            h = Long.rotateLeft(h, 23) * P2 + P3;
            p += 4;
        }
        while (p < end) {
            h ^= input.byteAt(source, p) * P5;
            h = Long.rotateLeft(h, 11) * P1;
            p++;
        }
        h ^= h >>> 33;
        h *= P2;
        h ^= h >>> 29;
        h *= P3;
        h ^= h >>> 32;
        return h;
    }

    private static long round(long acc, long input) {
        acc += input * P2;
        acc = Long.rotateLeft(acc, 31);
        return acc * P1;
    }

    private static long merge(long acc, long value) {
        acc ^= round(0, value);
        return acc * P1 + P4;
    }
}
