package dev.ballast.core.resilience;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which failed tries may be tried again, and how often. Immutable; built once from configuration and
 * shared by every request of an upstream or service.
 *
 * <p>A try is retried only if all of these hold:
 * <ol>
 *   <li>what happened is in {@code retry_on}: a {@link Condition} or one of the listed statuses;</li>
 *   <li>it is safe: a connect failure always is (nothing reached the server); otherwise the method is
 *       idempotent (RFC 9110 §9.2.2: GET, HEAD, OPTIONS, PUT, DELETE, TRACE) or the request body has
 *       not been sent, so the server cannot have acted on the request;</li>
 *   <li>fewer than {@code 1 + attempts} tries were made.</li>
 * </ol>
 * The caller then still asks its {@link RetryBudget}, waits {@link #backoff()}, and picks another
 * endpoint than the one that failed.
 *
 * <p>{@link #onFailure} and {@link #onStatus} are allocation-free and never throw for any input.
 */
public final class RetryPolicy {

    /** Transport failures a try can end with (statuses are given as numbers instead). */
    public enum Condition {
        /** The connection could not be opened: nothing was sent, so retrying is always safe. */
        CONNECT_FAILURE("connect-failure"),
        /** The connection was reset or closed before a complete response. */
        RESET("reset"),
        /** No response within the per-try timeout. */
        TIMEOUT("timeout");

        private final String configName;

        Condition(String configName) {
            this.configName = configName;
        }

        /** The word used in {@code retry_on}. */
        public String configName() {
            return configName;
        }

        /** The condition named {@code name} in {@code retry_on}, or null if none is. */
        public static Condition fromConfigName(String name) {
            for (Condition condition : values()) {
                if (condition.configName.equals(name)) {
                    return condition;
                }
            }
            return null;
        }
    }

    /** The answer for one failed try; only {@link #RETRY} retries. */
    public enum Decision {
        RETRY("retry"),
        /** The failure or status is not in {@code retry_on}. */
        NOT_RETRYABLE("not in retry_on"),
        /** A non-idempotent request whose body was already sent. */
        NOT_IDEMPOTENT("non-idempotent request already sent"),
        /** {@code 1 + attempts} tries were made already. */
        ATTEMPTS_EXHAUSTED("attempts exhausted");

        private final String description;

        Decision(String description) {
            this.description = description;
        }

        public boolean retry() {
            return this == RETRY;
        }

        /** For logs and the {@code x-ballast-attempts}-style diagnostics. */
        public String description() {
            return description;
        }
    }

    private static final int MIN_STATUS = 400;
    private static final int MAX_STATUS = 599;
    private static final RetryPolicy NONE = builder().attempts(0).build();

    private final int attempts;
    private final Set<Condition> retryOn;
    private final boolean[] retryStatus;
    private final Set<Integer> statuses;
    private final Duration perTryTimeout;
    private final Backoff backoff;

    private RetryPolicy(Builder builder) {
        this.attempts = builder.attempts;
        this.retryOn = Collections.unmodifiableSet(EnumSet.copyOf(builder.retryOn));
        this.retryStatus = new boolean[MAX_STATUS + 1];
        for (int status : builder.statuses) {
            retryStatus[status] = true;
        }
        this.statuses = Collections.unmodifiableSet(new TreeSet<>(builder.statuses));
        this.perTryTimeout = builder.perTryTimeout;
        this.backoff = builder.backoff;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Never retries: the null object for an upstream without {@code retries}. */
    public static RetryPolicy none() {
        return NONE;
    }

    /** Extra tries after the first. */
    public int attempts() {
        return attempts;
    }

    /** The most tries one request may take: {@code 1 + attempts}. */
    public int maxTries() {
        return 1 + attempts;
    }

    public Set<Condition> retryOn() {
        return retryOn;
    }

    /** Statuses that are retried, ascending. */
    public Set<Integer> retryStatuses() {
        return statuses;
    }

    /** The timeout of each try; zero means only the call's deadline applies. */
    public Duration perTryTimeout() {
        return perTryTimeout;
    }

    public Backoff backoff() {
        return backoff;
    }

    /** Whether a response with {@code status} counts as a retryable failure. */
    public boolean retriesStatus(int status) {
        return status >= MIN_STATUS && status <= MAX_STATUS && retryStatus[status];
    }

    /**
     * Whether retrying {@code method} cannot repeat a side effect (RFC 9110 §9.2.2). Methods are
     * case-sensitive, as in HTTP.
     */
    public static boolean isIdempotent(String method) {
        if (method == null) {
            return false;
        }
        return switch (method) {
            case "GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE" -> true;
            default -> false;
        };
    }

    /**
     * Decides after a try ended with a transport failure.
     *
     * @param condition what went wrong
     * @param method    the request method
     * @param bodySent  true once any byte of the request body was written, or, for a request without a
     *                  body, once its headers were: from then on the server may have acted on it
     * @param tries     tries made so far, including the one that just failed (1 after the first)
     */
    public Decision onFailure(Condition condition, String method, boolean bodySent, int tries) {
        if (condition == null || !retryOn.contains(condition)) {
            return Decision.NOT_RETRYABLE;
        }
        if (condition != Condition.CONNECT_FAILURE && bodySent && !isIdempotent(method)) {
            return Decision.NOT_IDEMPOTENT;
        }
        return tries >= maxTries() ? Decision.ATTEMPTS_EXHAUSTED : Decision.RETRY;
    }

    /**
     * Decides after a try ended with a response of {@code status}. Parameters as in {@link #onFailure};
     * a response usually means the body was sent, but a server may answer (say, 503) before reading it.
     */
    public Decision onStatus(int status, String method, boolean bodySent, int tries) {
        if (!retriesStatus(status)) {
            return Decision.NOT_RETRYABLE;
        }
        if (bodySent && !isIdempotent(method)) {
            return Decision.NOT_IDEMPOTENT;
        }
        return tries >= maxTries() ? Decision.ATTEMPTS_EXHAUSTED : Decision.RETRY;
    }

    @Override
    public String toString() {
        return "RetryPolicy[attempts=" + attempts + ", retryOn=" + retryOn + ", statuses=" + statuses
                + ", perTryTimeout=" + perTryTimeout + ", " + backoff + "]";
    }

    /**
     * Builds a {@link RetryPolicy}. Defaults: 1 extra attempt, on connect failures and resets and on
     * 502, 503 and 504, no per-try timeout, no backoff.
     */
    public static final class Builder {

        private int attempts = 1;
        private Set<Condition> retryOn = EnumSet.of(Condition.CONNECT_FAILURE, Condition.RESET);
        private Set<Integer> statuses = new TreeSet<>(Set.of(502, 503, 504));
        private Duration perTryTimeout = Duration.ZERO;
        private Backoff backoff = Backoff.none();

        private Builder() {
        }

        /** Extra tries after the first, 0..10. */
        public Builder attempts(int attempts) {
            if (attempts < 0 || attempts > 10) {
                throw new IllegalArgumentException("attempts: " + attempts + " (expected: 0..10)");
            }
            this.attempts = attempts;
            return this;
        }

        /** The transport failures to retry; replaces the default set. */
        public Builder retryOn(Set<Condition> conditions) {
            Objects.requireNonNull(conditions, "conditions");
            this.retryOn = conditions.isEmpty() ? EnumSet.noneOf(Condition.class) : EnumSet.copyOf(conditions);
            return this;
        }

        /** The statuses to retry, each in 400..599; replaces the default set. */
        public Builder retryStatuses(Set<Integer> codes) {
            Objects.requireNonNull(codes, "codes");
            Set<Integer> copy = new TreeSet<>();
            for (Integer code : codes) {
                if (code == null || code < MIN_STATUS || code > MAX_STATUS) {
                    throw new IllegalArgumentException(
                            "retry_on: status " + code + " (expected: " + MIN_STATUS + ".." + MAX_STATUS + ")");
                }
                copy.add(code);
            }
            this.statuses = copy;
            return this;
        }

        /** The timeout of each try, positive; {@link Duration#ZERO} for none. */
        public Builder perTryTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("per_try_timeout: " + timeout + " (expected: >= 0)");
            }
            this.perTryTimeout = timeout;
            return this;
        }

        public Builder backoff(Backoff backoff) {
            this.backoff = Objects.requireNonNull(backoff, "backoff");
            return this;
        }

        public RetryPolicy build() {
            return new RetryPolicy(this);
        }
    }
}
