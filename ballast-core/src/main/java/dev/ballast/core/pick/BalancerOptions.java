package dev.ballast.core.pick;

import dev.ballast.core.time.Ticker;

import java.util.Objects;

/**
 * Settings a {@link Policy} may read: injected randomness and time, and the hash balancers' options.
 *
 * @param rng               randomness for random, P2C and keyless hash picks
 * @param ticker            time, for policies that read the clock to tell threads that pick nonstop:
 *                          least-connections and the round-robin balancers (latency samples are stamped
 *                          by the registry's ticker, and peak-ewma ranks them without reading the clock);
 *                          a test that picks in a tight loop from several threads and counts exact
 *                          round-robin shares passes a clock that does not move
 * @param boundedLoadFactor {@code c} of consistent hashing with bounded loads, or 0 for no bound
 * @param maglevTableSize   a prime, the Maglev lookup table size
 */
public record BalancerOptions(Rng rng, Ticker ticker, double boundedLoadFactor, int maglevTableSize) {

    public BalancerOptions {
        Objects.requireNonNull(rng, "rng");
        Objects.requireNonNull(ticker, "ticker");
        if (boundedLoadFactor != 0 && !(boundedLoadFactor >= 1.0)) {
            throw new IllegalArgumentException(
                    "bounded load factor: " + boundedLoadFactor + " (expected: 0 for none, or >= 1.0)");
        }
        if (!Maglev.isPrime(maglevTableSize)) {
            throw new IllegalArgumentException("maglev table size: " + maglevTableSize + " (expected: a prime)");
        }
    }

    /** Production defaults: thread-local randomness, the system clock, no load bound, table 65537. */
    public static BalancerOptions defaults() {
        return new BalancerOptions(Rng.threadLocal(), Ticker.system(), 0, Maglev.DEFAULT_TABLE_SIZE);
    }

    public BalancerOptions withRng(Rng newRng) {
        return new BalancerOptions(newRng, ticker, boundedLoadFactor, maglevTableSize);
    }

    public BalancerOptions withTicker(Ticker newTicker) {
        return new BalancerOptions(rng, newTicker, boundedLoadFactor, maglevTableSize);
    }

    /** Bounded loads with factor {@code c} ({@code 1.25} is the usual choice); 0 turns it off. */
    public BalancerOptions withBoundedLoad(double c) {
        return new BalancerOptions(rng, ticker, c, maglevTableSize);
    }

    public BalancerOptions withMaglevTableSize(int size) {
        return new BalancerOptions(rng, ticker, boundedLoadFactor, size);
    }

    /** The default {@code c} when bounded loads are asked for without a factor. */
    public static double defaultBoundedLoadFactor() {
        return BoundedLoad.DEFAULT_FACTOR;
    }

    BoundedLoad bound() {
        return boundedLoadFactor == 0 ? null : new BoundedLoad(boundedLoadFactor);
    }
}
