/**
 * Active health checking, independent of the transport: a {@link dev.ballast.core.health.HealthChecker}
 * (TCP or HTTP, supplied by the proxy or the client) probes one endpoint; {@link
 * dev.ballast.core.health.RiseFall} turns the stream of results into healthy / unhealthy by exact
 * thresholds; {@link dev.ballast.core.health.HealthMonitor} schedules the probes for every member of a
 * {@code Balancer} and applies each transition to its {@code EndpointState}.
 */
package dev.ballast.core.health;
