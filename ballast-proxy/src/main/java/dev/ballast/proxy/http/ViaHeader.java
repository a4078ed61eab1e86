package dev.ballast.proxy.http;

import dev.ballast.proxy.config.ViaConfig;
import io.netty.handler.codec.http.HttpVersion;

/**
 * The {@code Via} values one {@link ViaConfig} sends, made once per configuration rather than per
 * request: {@code 1.1 ballast} for a request received as HTTP/1.1, {@code 1.0 ballast} for HTTP/1.0.
 *
 * @param http10 the value for an HTTP/1.0 request, or null when {@code via} is off
 * @param http11 the value for an HTTP/1.1 request, or null when {@code via} is off
 */
record ViaHeader(ViaConfig config, String http10, String http11) {

    static ViaHeader of(ViaConfig config) {
        return config.enabled()
                ? new ViaHeader(config, "1.0 " + config.pseudonym(), "1.1 " + config.pseudonym())
                : new ViaHeader(config, null, null);
    }

    /** What to add for a request received as {@code version}; null when nothing is added. */
    String value(HttpVersion version) {
        return version.minorVersion() == 0 ? http10 : http11;
    }
}
