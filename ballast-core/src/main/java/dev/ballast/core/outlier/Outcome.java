package dev.ballast.core.outlier;

/**
 * How one request to an endpoint ended, as far as outlier detection cares. The failures are the ones
 * that say something about the endpoint rather than the request: a server error, a connection that
 * could not be opened or was reset, no answer in time. A client's own cancellation is not reported.
 */
public enum Outcome {
    SUCCESS(false),
    /** A 5xx response. */
    SERVER_ERROR(true),
    CONNECT_FAILURE(true),
    RESET(true),
    TIMEOUT(true);

    private final boolean failure;

    Outcome(boolean failure) {
        this.failure = failure;
    }

    public boolean failure() {
        return failure;
    }

    /** The outcome of a complete response with {@code status}: 5xx is a failure, anything else is not. */
    public static Outcome ofStatus(int status) {
        return status >= 500 && status <= 599 ? SERVER_ERROR : SUCCESS;
    }

    /** Lower-case words for logs, e.g. {@code "connect failure"}. */
    public String description() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
    }
}
