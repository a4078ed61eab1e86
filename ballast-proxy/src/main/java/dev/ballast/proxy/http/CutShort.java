package dev.ballast.proxy.http;

/**
 * Why a response whose head was sent did not reach its end: the access log's {@code cut_short} and the
 * {@code reason} of {@code ballast_responses_cut_short_total}. The status stays the one sent, as NGINX
 * logs it; this says who broke the answer off.
 */
public enum CutShort {
    /** The upstream closed or reset its connection mid-body, or sent a malformed body. */
    UPSTREAM_RESET("upstream_reset"),
    /** The upstream sent no byte of the body for {@code idle_timeout}. */
    UPSTREAM_TIMEOUT("upstream_timeout"),
    /** The client hung up. */
    CLIENT_CLOSED("client_closed"),
    /** The client stopped reading the response for {@code client_stall_timeout}. */
    CLIENT_TIMEOUT("client_timeout"),
    /** The rest of the request body broke {@code max_body_size} or was malformed. */
    REQUEST_REFUSED("request_refused"),
    /** The proxy stopped and {@code drain_timeout} ran out before the response's end. */
    SHUTDOWN("shutdown"),
    /** An unexpected error in the proxy (a fault: the log says which). */
    PROXY_ERROR("proxy_error");

    private final String label;

    CutShort(String label) {
        this.label = label;
    }

    /** The value written to the log and the metric label. */
    public String label() {
        return label;
    }

    /** The reason for a failure of the exchange after the response head left. */
    static CutShort of(ProxyError error, boolean upstreams) {
        if (upstreams) {
            return error == ProxyError.RESPONSE_TIMEOUT ? UPSTREAM_TIMEOUT : UPSTREAM_RESET;
        }
        return error == ProxyError.BODY_TIMEOUT ? CLIENT_TIMEOUT : REQUEST_REFUSED;
    }
}
