package dev.ballast.core.health;

import dev.ballast.core.endpoint.Endpoint;

import java.util.concurrent.CompletableFuture;

/**
 * Probes one endpoint once: the transport-specific half of active health checking (a TCP connect, an
 * HTTP {@code GET /healthz} with an expected status range), supplied by the proxy or the client.
 *
 * <p>Contract:
 * <ul>
 *   <li>{@link #check} must not block: it starts the probe and returns a future. It is called on the
 *       {@link dev.ballast.core.time.Scheduler}'s thread, at most once at a time per endpoint.</li>
 *   <li>The future completes with {@link CheckOutcome#passed()} or {@link CheckOutcome#failed(String)};
 *       completing exceptionally, or {@code check} throwing (an Error too), counts as a failure with the exception's
 *       message.</li>
 *   <li>The monitor enforces the timeout itself and then {@linkplain CompletableFuture#cancel cancels}
 *       the future: an implementation should react to cancellation by closing its connection.</li>
 *   <li>The future may complete on any thread (an event loop, the client's executor).</li>
 * </ul>
 */
@FunctionalInterface
public interface HealthChecker {

    CompletableFuture<CheckOutcome> check(Endpoint endpoint);
}
