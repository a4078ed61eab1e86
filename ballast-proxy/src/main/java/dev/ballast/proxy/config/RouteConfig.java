package dev.ballast.proxy.config;

/**
 * One entry of {@code routes}. First match wins, in file order.
 *
 * @param name     {@code name}: optional; defaults to {@code route-N} (N = position from 0); used as
 *                 the metrics label
 * @param match    {@code match}
 * @param upstream {@code upstream}: the name of an upstream
 */
public record RouteConfig(String name, MatchConfig match, String upstream) {
}
