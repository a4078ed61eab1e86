package dev.ballast.proxy.testing;

import dev.ballast.proxy.config.ConfigLoader;
import dev.ballast.proxy.config.ConfigResult;
import dev.ballast.proxy.config.ProxyConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** YAML configurations written to a file, as {@code ballast run -c FILE} reads them (for reload tests). */
public final class ConfigFiles {

    private ConfigFiles() {
    }

    /** Writes {@code yaml} to {@code file} and returns the validated config; fails the test if it is invalid. */
    public static ProxyConfig write(Path file, String yaml) {
        try {
            Files.writeString(file, yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ConfigResult result = ConfigLoader.load(file);
        if (!result.ok()) {
            throw new AssertionError("invalid test config: " + result.errors() + "\n" + yaml);
        }
        return result.config();
    }

    /** A listener and the admin API on 127.0.0.1 port 0, followed by {@code rest}. */
    public static String withLocalListeners(String rest) {
        return """
                listeners:
                  - name: public
                    address: 127.0.0.1:0
                admin:
                  address: 127.0.0.1:0
                """ + rest;
    }
}
