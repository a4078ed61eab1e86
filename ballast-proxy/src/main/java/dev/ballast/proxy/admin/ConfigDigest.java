package dev.ballast.proxy.admin;

import dev.ballast.proxy.config.ProxyConfig;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A short fingerprint of a configuration: the first 16 hex digits of the SHA-256 of what {@code GET
 * /config} shows, map entries in key order. Two proxies of a fleet that serve the same configuration
 * show the same digest whatever the layout, comments or key order of their files; secrets are left
 * out as {@code /config} leaves them out, so a changed password alone does not change it.
 */
public final class ConfigDigest {

    /** The last configuration asked about and its digest: {@code /status} and scrapes ask again and again. */
    private record Memo(ProxyConfig config, String digest) {
    }

    private static volatile Memo last;

    private ConfigDigest() {
    }

    public static String of(ProxyConfig config) {
        Memo memo = last;
        if (memo != null && memo.config() == config) {
            return memo.digest();
        }
        try {
            byte[] sha256 = MessageDigest.getInstance("SHA-256").digest(AdminJson.canonicalBytes(config));
            String digest = HexFormat.of().formatHex(sha256, 0, 8);
            last = new Memo(config, digest);
            return digest;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
