package dev.ballast.core.state;

/** What active health checking last concluded about an endpoint. */
public enum Health {
    /** Passing checks, or never checked (endpoints start healthy unless told otherwise). */
    HEALTHY,
    /** Failed the configured number of consecutive checks. */
    UNHEALTHY
}
