package dev.ballast.core.health;

import dev.ballast.core.state.EndpointState;
import dev.ballast.core.state.Health;

/**
 * An endpoint's verdict changed.
 *
 * @param endpoint the endpoint
 * @param from     the verdict before
 * @param to       the verdict now
 * @param reason   why, e.g. {@code "3 failed checks in a row, last: status 503"}
 * @param atNanos  ticker time of the change
 */
public record HealthTransition(EndpointState endpoint, Health from, Health to, String reason, long atNanos) {
}
