package dev.ballast.proxy.route;

import dev.ballast.proxy.upstream.Upstream;

import java.util.concurrent.ThreadLocalRandom;

/** A route's {@code mirror}: the upstream that gets copies of a sample of its requests. Immutable. */
public final class Mirror {

    private final Upstream upstream;
    private final double sample;

    Mirror(Upstream upstream, double sample) {
        this.upstream = upstream;
        this.sample = sample;
    }

    public Upstream upstream() {
        return upstream;
    }

    public double sample() {
        return sample;
    }

    /** Whether this request is copied: every one at {@code sample: 1}, else a random share. */
    public boolean sampled() {
        return sample >= 1 || (sample > 0 && ThreadLocalRandom.current().nextDouble() < sample);
    }
}
