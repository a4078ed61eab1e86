/**
 * Passive health checking: an {@link dev.ballast.core.outlier.OutlierDetector} judges endpoints from
 * the outcomes of real requests and ejects one that fails too often in a row, for a time that doubles
 * each time it is ejected again. Ejection is a flag on the endpoint's {@code EndpointState}; the
 * {@code Balancer} leaves ejected endpoints out of the snapshot it publishes, so pickers never ask.
 */
package dev.ballast.core.outlier;
