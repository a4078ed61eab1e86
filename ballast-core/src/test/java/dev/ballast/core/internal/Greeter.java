package dev.ballast.core.internal;

/** An SPI of the tests' own, with one provider that loads and one listed that does not exist. */
public interface Greeter {

    String language();
}
