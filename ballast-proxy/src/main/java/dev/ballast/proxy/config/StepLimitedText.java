package dev.ballast.proxy.config;

/**
 * A text that a regular expression may read only so many characters of, for matching a pattern from
 * the configuration: a pattern that backtracks exponentially (such as {@code ^/(.*a){20}$}) would
 * otherwise hold {@code validate} or a reload, checking routes, or an event loop, routing a request
 * whose path a client chose to set it off, for longer than anyone waits (Java's engine has no match
 * limit, unlike PCRE's or RE2's linear time). The engine reads its input through {@link #charAt} at
 * every step.
 */
public final class StepLimitedText implements CharSequence {

    /** Thrown, without a stack trace, when the steps run out. */
    public static final class TooManySteps extends RuntimeException {
        private TooManySteps() {
            super("the pattern took too many steps", null, false, false);
        }
    }

    private static final TooManySteps TOO_MANY_STEPS = new TooManySteps();

    private final String text;
    private long stepsLeft;

    public StepLimitedText(String text, long steps) {
        this.text = text;
        this.stepsLeft = steps;
    }

    @Override
    public char charAt(int index) {
        if (--stepsLeft < 0) {
            throw TOO_MANY_STEPS;
        }
        return text.charAt(index);
    }

    @Override
    public int length() {
        return text.length();
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        return new StepLimitedText(text.substring(start, end), stepsLeft);
    }

    @Override
    public String toString() {
        return text;
    }
}
