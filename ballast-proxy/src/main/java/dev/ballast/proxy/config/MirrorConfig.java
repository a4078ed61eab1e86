package dev.ballast.proxy.config;

/**
 * A route's {@code mirror}: copies of its requests sent to another upstream, whose answers are
 * read and dropped. The client only ever sees the answer of the route's own upstream.
 *
 * @param upstream {@code upstream}: the name of the upstream that gets the copies
 * @param sample   {@code sample}: the share of the route's requests copied, 0 to 1 (default 1)
 */
public record MirrorConfig(String upstream, double sample) {
}
