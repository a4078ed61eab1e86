package dev.ballast.proxy.config;

/** A value read from the document with where it was, for checks that compare entries (duplicates, shadowing). */
record Located<T>(T value, String path, int line) {
}
