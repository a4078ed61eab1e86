/**
 * Value parsers that every configuration front end shares (the proxy's YAML reader and the client's
 * reader of the same upstream schema), so both accept the same text and print the same messages:
 * durations, percentages, {@code host:port} addresses, status code sets, whole numbers in ASCII
 * digits ({@link dev.ballast.core.config.WholeNumbers}), the names a hash key may take, {@code ${VAR}}
 * placeholders and "did you mean" hints; and the {@link dev.ballast.core.config.ConfigStore} SPI, through which a
 * module lets the proxy read its configuration from a distributed store. JDK only.
 */
package dev.ballast.core.config;
