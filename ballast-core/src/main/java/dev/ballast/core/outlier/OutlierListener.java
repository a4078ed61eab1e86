package dev.ballast.core.outlier;

import dev.ballast.core.state.EndpointState;

/**
 * Told about ejections, for metrics and the admin dashboard. Called on the control path (the
 * scheduler's thread), in order per endpoint; implementations must be quick and must not block. An
 * exception thrown here is logged and otherwise ignored.
 */
public interface OutlierListener {

    /** {@code ejection.endpoint()} was taken out of rotation. */
    default void ejected(Ejection ejection) {
    }

    /** {@code endpoint}'s ejection ended and it is back in rotation. */
    default void readmitted(EndpointState endpoint) {
    }

    /**
     * {@code endpoint} reached the failure threshold but was not ejected because {@code ejected} of the
     * upstream's endpoints already are and {@code maxEjected} may be (Envoy's "ejections overflow").
     */
    default void ejectionRefused(EndpointState endpoint, int ejected, int maxEjected) {
    }

    /** Listens to nothing. */
    OutlierListener NONE = new OutlierListener() { };
}
