package dev.ballast.client.internal;

import dev.ballast.core.pick.PickContext;
import dev.ballast.core.state.EndpointState;

/** What the balancer may know about one attempt: its affinity key and the endpoint to avoid. */
record AttemptPick(long hash, boolean hasHash, EndpointState avoid) implements PickContext {
}
