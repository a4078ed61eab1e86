package dev.ballast.proxy.config;

/**
 * {@code limits}: protections, each with a default.
 *
 * @param maxHeaderSizeBytes       {@code max_header_size} (default 16KiB): larger request headers get 431
 * @param maxUriLengthBytes        {@code max_uri_length} (default 8KiB): a longer request line gets 414
 * @param maxBodySizeBytes         {@code max_body_size} (default 0 = unlimited): a larger body gets 413
 * @param headerReadTimeoutMillis  {@code header_read_timeout} (default 10s): a client that has not sent
 *                                 complete request headers by then is answered 408 and closed
 * @param maxConnections           {@code max_connections} (default 10000): client connections over this
 *                                 are closed at accept
 * @param clientIdleTimeoutMillis  {@code client_idle_timeout} (default 60s): idle keep-alive client
 *                                 connections are closed after this
 */
public record LimitsConfig(
        int maxHeaderSizeBytes,
        int maxUriLengthBytes,
        long maxBodySizeBytes,
        long headerReadTimeoutMillis,
        int maxConnections,
        long clientIdleTimeoutMillis) {

    public static LimitsConfig defaults() {
        return new LimitsConfig(16 * 1024, 8 * 1024, 0, 10_000, 10_000, 60_000);
    }
}
