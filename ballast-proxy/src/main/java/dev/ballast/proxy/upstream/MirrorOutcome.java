package dev.ballast.proxy.upstream;

import java.util.Locale;

/** How a mirrored copy of a request ended, as {@code ballast_mirror_requests_total} labels it. */
public enum MirrorOutcome {
    /** Answered with a 2xx status (1xx answers are interim: the final one counts). */
    SUCCESS_2XX("2xx"),
    REDIRECT_3XX("3xx"),
    CLIENT_ERROR_4XX("4xx"),
    SERVER_ERROR_5XX("5xx"),
    /** Sent, or being sent, but the connection failed, was reset, or the answer was not HTTP. */
    FAILED("failed"),
    /** No answer within the mirror upstream's timeouts. */
    TIMEOUT("timeout"),
    /**
     * Not sent, or not sent whole, by choice: no endpoint or no room (circuit breaker, connection
     * limit), or the copy fell behind the request it copies, or the client left mid-body.
     */
    DROPPED("dropped");

    private final String label;

    MirrorOutcome(String label) {
        this.label = label;
    }

    /** The outcome for a final response status. */
    public static MirrorOutcome ofStatus(int status) {
        return status < 300 ? SUCCESS_2XX : status < 400 ? REDIRECT_3XX : status < 500 ? CLIENT_ERROR_4XX
                : SERVER_ERROR_5XX;
    }

    public String label() {
        return label;
    }

    @Override
    public String toString() {
        return label.toUpperCase(Locale.ROOT);
    }
}
