package dev.ballast.proxy.config;

/**
 * {@code upstreams.NAME.hash_key}: where {@code ring-hash} and {@code maglev} find a request's key:
 * {@code header:NAME | cookie:NAME | query:NAME | client-ip | path}.
 *
 * @param source where to look
 * @param name   the header, cookie or query parameter name; empty for client-ip and path
 */
public record HashKey(Source source, String name) {

    public enum Source { HEADER, COOKIE, QUERY, CLIENT_IP, PATH }
}
