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
 * @param tunnelIdleTimeoutMillis  {@code tunnel_idle_timeout} (default 1h): a tunnel (an upgraded
 *                                 connection, e.g. WebSocket) with no byte either way for this long is closed
 * @param clientStallTimeoutMillis {@code client_stall_timeout} (default 60s): a client that sends no byte
 *                                 of the request body it owes, or takes no byte of its response, for
 *                                 this long is cut off
 * @param maxHeaderCount           {@code max_header_count} (default 100): a request head (or its trailer)
 *                                 with more fields gets 431
 */
public record LimitsConfig(
        int maxHeaderSizeBytes,
        int maxUriLengthBytes,
        long maxBodySizeBytes,
        long headerReadTimeoutMillis,
        int maxConnections,
        long clientIdleTimeoutMillis,
        long tunnelIdleTimeoutMillis,
        long clientStallTimeoutMillis,
        int maxHeaderCount) {

    public static final long DEFAULT_CLIENT_STALL_TIMEOUT_MILLIS = 60_000;
    /** As HAProxy's and Envoy's: far more than any browser or client library sends. */
    public static final int DEFAULT_MAX_HEADER_COUNT = 100;

    /** The limits with the default {@code max_header_count}. */
    public LimitsConfig(int maxHeaderSizeBytes, int maxUriLengthBytes, long maxBodySizeBytes,
                        long headerReadTimeoutMillis, int maxConnections, long clientIdleTimeoutMillis,
                        long tunnelIdleTimeoutMillis, long clientStallTimeoutMillis) {
        this(maxHeaderSizeBytes, maxUriLengthBytes, maxBodySizeBytes, headerReadTimeoutMillis, maxConnections,
                clientIdleTimeoutMillis, tunnelIdleTimeoutMillis, clientStallTimeoutMillis, DEFAULT_MAX_HEADER_COUNT);
    }

    /** The limits with the default {@code client_stall_timeout} and {@code max_header_count}. */
    public LimitsConfig(int maxHeaderSizeBytes, int maxUriLengthBytes, long maxBodySizeBytes,
                        long headerReadTimeoutMillis, int maxConnections, long clientIdleTimeoutMillis,
                        long tunnelIdleTimeoutMillis) {
        this(maxHeaderSizeBytes, maxUriLengthBytes, maxBodySizeBytes, headerReadTimeoutMillis, maxConnections,
                clientIdleTimeoutMillis, tunnelIdleTimeoutMillis, DEFAULT_CLIENT_STALL_TIMEOUT_MILLIS);
    }

    public static LimitsConfig defaults() {
        return new LimitsConfig(16 * 1024, 8 * 1024, 0, 10_000, 10_000, 60_000, 3_600_000);
    }
}
