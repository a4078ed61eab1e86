/**
 * Value parsers that every configuration front end shares (the proxy's YAML reader and the client's
 * reader of the same upstream schema), so both accept the same text and print the same messages:
 * durations, percentages, {@code host:port} addresses, status code sets, {@code ${VAR}} placeholders
 * and "did you mean" hints. JDK only.
 */
package dev.ballast.core.config;
