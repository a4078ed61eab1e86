package dev.ballast.core.outlier;

import dev.ballast.core.state.EndpointState;

/**
 * One ejection, as told to an {@link OutlierListener}.
 *
 * @param endpoint       the ejected endpoint
 * @param ordinal        1 for a first ejection, 2 when ejected again before the multiplier decayed...
 * @param durationNanos  how long it is out: {@code base * 2^(ordinal-1)}, capped
 * @param untilNanos     ticker time of re-admission
 * @param lastFailure    the failure that completed the run
 * @param failuresInARow the run length that triggered the ejection
 */
public record Ejection(
        EndpointState endpoint, int ordinal, long durationNanos, long untilNanos, Outcome lastFailure,
        int failuresInARow) {
}
