package dev.ballast.client;

/**
 * A snapshot of one endpoint of a service, for operators and tests.
 *
 * @param address  {@code host:port}
 * @param eligible healthy, not ejected and not draining: the balancer may pick it
 * @param healthy  as active health checking last concluded (true when checks are off)
 * @param ejected  ejected by outlier detection right now
 * @param inFlight attempts in flight to it
 * @param requests attempts finished since it joined with a response or an endpoint failure (connect,
 *                 reset, timeout, and the caller's deadline once the attempt had waited at least the
 *                 service's connect timeout); attempts the caller cancelled, or whose deadline came
 *                 sooner, say nothing about the endpoint and are not counted
 * @param failures of those, the ones outlier detection counts as failures
 */
public record EndpointStatus(String address, boolean eligible, boolean healthy, boolean ejected, int inFlight,
                             long requests, long failures) {
}
