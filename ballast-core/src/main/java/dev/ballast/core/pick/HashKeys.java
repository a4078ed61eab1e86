package dev.ballast.core.pick;

import dev.ballast.core.internal.XxHash64;

/**
 * Hashes request affinity keys (a header, cookie, query parameter, client IP or path) for
 * {@code ring-hash} and {@code maglev}. XXH64 with seed 0: specified and stable, so every process
 * with the same membership maps a key to the same endpoint.
 */
public final class HashKeys {

    private HashKeys() {
    }

    /** XXH64 of the UTF-8 bytes of {@code key}; allocation-free for ASCII keys. */
    public static long hash(CharSequence key) {
        return XxHash64.hash(key, 0);
    }

    public static long hash(byte[] key, int offset, int length) {
        return XxHash64.hash(key, offset, length, 0);
    }
}
