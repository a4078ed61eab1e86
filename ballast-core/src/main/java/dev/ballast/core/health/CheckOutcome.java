package dev.ballast.core.health;

import java.util.Objects;

/** The result of one health check: passed, or failed with a reason for the logs. */
public sealed interface CheckOutcome {

    /** The shared passed outcome. */
    static Passed passed() {
        return Passed.INSTANCE;
    }

    /** A failed outcome; {@code reason} says what was seen, e.g. {@code "status 503"}. */
    static Failed failed(String reason) {
        return new Failed(reason);
    }

    /** True for {@link Passed}. */
    default boolean isPassed() {
        return this instanceof Passed;
    }

    /** The check passed. */
    record Passed() implements CheckOutcome {
        static final Passed INSTANCE = new Passed();
    }

    /** The check failed (including: no answer within the timeout, the checker threw). */
    record Failed(String reason) implements CheckOutcome {
        public Failed {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
