package dev.ballast.core.internal;

/** The {@link Greeter} that loads. */
public final class EnglishGreeter implements Greeter {

    @Override
    public String language() {
        return "en";
    }
}
