package dev.ballast.client;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * A request to a named service, not to a host: the client's balancer picks the endpoint. Immutable;
 * each {@code with}-style method returns a changed copy, so interceptors can rewrite a request
 * without affecting the caller's:
 *
 * <pre>{@code
 * client.send(request("orders").path("/v1/orders/42").header("accept", "application/json"));
 * }</pre>
 */
public final class ClientRequest {

    /**
     * Headers {@link java.net.http.HttpClient} sets itself and refuses from callers, and the other
     * framing and hop-by-hop ones, which it would send as given over a body it frames its own way
     * ({@code Transfer-Encoding: chunked} beside its {@code Content-Length}: a request read two ways).
     */
    private static final Set<String> RESTRICTED = Set.of("connection", "content-length", "expect", "host", "upgrade",
            "transfer-encoding", "te", "trailer", "keep-alive", "proxy-connection");
    private static final byte[] NO_BODY = new byte[0];

    private final String service;
    private final String method;
    private final String path;
    /** {@code path} parsed once, so attempts resolve it against an endpoint without parsing again. */
    private final URI target;
    /**
     * Name, value, name, value...: a request carries a handful of headers, so a flat array is searched
     * faster than a map and an interceptor's change copies one small array instead of a tree.
     */
    private final String[] headers;
    private final byte[] body;
    private final Duration timeout;
    private final CallContext context;
    private final String hashKey;
    private final String endpoint;

    private static final URI ROOT = URI.create("/");

    private static final String[] NO_HEADERS = new String[0];

    private ClientRequest(String service, String method, String path, URI target, String[] headers,
            byte[] body, Duration timeout, CallContext context, String hashKey, String endpoint) {
        this.service = service;
        this.method = method;
        this.path = path;
        this.target = target;
        this.headers = headers;
        this.body = body;
        this.timeout = timeout;
        this.context = context;
        this.hashKey = hashKey;
        this.endpoint = endpoint;
    }

    /** A {@code GET /} to {@code service}. */
    public static ClientRequest request(String service) {
        return new ClientRequest(checkService(service), "GET", "/", ROOT, NO_HEADERS, NO_BODY, null,
                CallContext.background(), null, null);
    }

    // ---- copies with one thing changed ----

    /** The same request to another service (what routing interceptors do). */
    public ClientRequest service(String newService) {
        return new ClientRequest(checkService(newService), method, path, target, headers, body, timeout, context, hashKey, endpoint);
    }

    /** Path and query, e.g. {@code /v1/orders?limit=10}; must start with {@code /}. */
    public ClientRequest path(String newPath) {
        Objects.requireNonNull(newPath, "path");
        if (!newPath.startsWith("/")) {
            throw new IllegalArgumentException("path: '" + newPath + "' (expected: starting with /, e.g. /v1/orders)");
        }
        if (newPath.startsWith("//")) {
            throw new IllegalArgumentException("path: '" + newPath + "' (expected: a path, not //host/...)");
        }
        URI parsed;
        try {
            parsed = new URI(newPath);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("path: '" + newPath + "' is not a valid URI path and query ("
                    + e.getReason() + "; expected: percent-encoded, e.g. /search?q=a%20b)");
        }
        if (parsed.getRawFragment() != null) {
            throw new IllegalArgumentException("path: '" + newPath + "' has a #fragment (expected: path and query only)");
        }
        return new ClientRequest(service, method, newPath, parsed, headers, body, timeout, context, hashKey, endpoint);
    }

    /** The method, upper case ({@code GET}, {@code POST}, ...). */
    public ClientRequest method(String newMethod) {
        Objects.requireNonNull(newMethod, "method");
        if (newMethod.isEmpty() || !newMethod.chars().allMatch(ClientRequest::isTokenChar)) {
            throw new IllegalArgumentException("method: '" + newMethod + "' (expected: an HTTP method token such as GET)");
        }
        if (newMethod.equalsIgnoreCase("CONNECT")) {
            throw new IllegalArgumentException("method: CONNECT opens a tunnel, which java.net.http does not send"
                    + " (expected: a request method such as GET or POST)");
        }
        return new ClientRequest(service, newMethod.toUpperCase(Locale.ROOT), path, target, headers, body, timeout, context,
                hashKey, endpoint);
    }

    /** {@code method} with this body (the array is not copied: do not change it afterwards). */
    public ClientRequest method(String newMethod, byte[] newBody) {
        return method(newMethod).body(newBody);
    }

    public ClientRequest body(byte[] newBody) {
        Objects.requireNonNull(newBody, "body");
        return new ClientRequest(service, method, path, target, headers, newBody, timeout, context, hashKey, endpoint);
    }

    /** A UTF-8 body. */
    public ClientRequest body(String text) {
        return body(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Adds a header value, keeping values already set under {@code name}. */
    public ClientRequest header(String name, String value) {
        return withHeaderValues(name, value, false);
    }

    /** Sets a header, replacing any values under {@code name}. */
    public ClientRequest setHeader(String name, String value) {
        return withHeaderValues(name, value, true);
    }

    /** Removes every value of a header. */
    public ClientRequest removeHeader(String name) {
        String[] kept = without(name);
        return kept == headers ? this : new ClientRequest(service, method, path, target, kept, body, timeout, context,
                hashKey, endpoint);
    }

    /**
     * A deadline for the whole call, every attempt included, counted from when it is sent. The
     * context's own deadline still applies if it is sooner.
     */
    public ClientRequest timeout(Duration newTimeout) {
        Objects.requireNonNull(newTimeout, "timeout");
        if (newTimeout.isNegative() || newTimeout.isZero()) {
            throw new IllegalArgumentException("timeout: " + newTimeout + " (expected: positive)");
        }
        return new ClientRequest(service, method, path, target, headers, body, newTimeout, context, hashKey, endpoint);
    }

    /** Runs the call inside {@code parent}: it inherits the deadline, trace and cancellation. */
    public ClientRequest context(CallContext parent) {
        Objects.requireNonNull(parent, "context");
        return new ClientRequest(service, method, path, target, headers, body, timeout, parent, hashKey, endpoint);
    }

    /**
     * The affinity key for {@code ring-hash} and {@code maglev}, overriding the service's
     * {@code hash_key}. An empty key is none, as an empty {@code hash_key} value is in the proxy: the
     * call goes to a random endpoint (not every keyless call to the one {@code ""} hashes to).
     */
    public ClientRequest hashKey(String key) {
        Objects.requireNonNull(key, "hashKey");
        return new ClientRequest(service, method, path, target, headers, body, timeout, context, key, endpoint);
    }

    /**
     * Sends to this endpoint ({@code host:port}, a member of the service) instead of balancing: for
     * calls that must reach every endpoint, such as a fan-out to all of them.
     */
    public ClientRequest endpoint(String address) {
        Objects.requireNonNull(address, "endpoint");
        return new ClientRequest(service, method, path, target, headers, body, timeout, context, hashKey, address);
    }

    // ---- accessors ----

    public String service() {
        return service;
    }

    public String method() {
        return method;
    }

    public String path() {
        return path;
    }

    /** {@link #path()} as a relative URI (path and query), parsed once. */
    public URI target() {
        return target;
    }

    /** Every header, names case-insensitive, values in the order added. A new map on each call. */
    public Map<String, List<String>> headers() {
        TreeMap<String, List<String>> map = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 0; i < headers.length; i += 2) {
            map.computeIfAbsent(headers[i], name -> new ArrayList<>()).add(headers[i + 1]);
        }
        map.replaceAll((name, values) -> List.copyOf(values));
        return Collections.unmodifiableMap(map);
    }

    /** Every header value in the order added, without building a map. */
    public void forEachHeader(BiConsumer<String, String> action) {
        for (int i = 0; i < headers.length; i += 2) {
            action.accept(headers[i], headers[i + 1]);
        }
    }

    /** The first value of a header (names are case-insensitive). */
    public Optional<String> header(String name) {
        for (int i = 0; i < headers.length; i += 2) {
            if (headers[i].equalsIgnoreCase(name)) {
                return Optional.of(headers[i + 1]);
            }
        }
        return Optional.empty();
    }

    /** Every value of a header, in the order added. */
    public List<String> headerValues(String name) {
        List<String> values = new ArrayList<>(1);
        for (int i = 0; i < headers.length; i += 2) {
            if (headers[i].equalsIgnoreCase(name)) {
                values.add(headers[i + 1]);
            }
        }
        return values;
    }

    /** The body, empty when there is none (not a copy: do not change it). */
    public byte[] body() {
        return body;
    }

    public Optional<Duration> timeout() {
        return Optional.ofNullable(timeout);
    }

    /** The context the call runs in; {@link CallContext#background()} unless one was given. */
    public CallContext context() {
        return context;
    }

    public Optional<String> hashKey() {
        return Optional.ofNullable(hashKey);
    }

    public Optional<String> endpoint() {
        return Optional.ofNullable(endpoint);
    }

    /**
     * True for methods RFC 9110 section 9.2.2 calls idempotent, which may be sent again after a
     * failure that may have reached the server.
     */
    public boolean isIdempotent() {
        return switch (method) {
            case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE" -> true;
            default -> false;
        };
    }

    @Override
    public String toString() {
        return method + " " + service + path + (endpoint != null ? " @" + endpoint : "");
    }

    private ClientRequest withHeaderValues(String name, String value, boolean replace) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        if (name.isEmpty() || !name.chars().allMatch(ClientRequest::isTokenChar)) {
            throw new IllegalArgumentException("header name: '" + name + "' (expected: an RFC 9110 token)");
        }
        if (RESTRICTED.contains(name.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("header " + name + ": framing and connection headers are the HTTP"
                    + " client's own (expected: none of connection, content-length, expect, host, upgrade,"
                    + " transfer-encoding, te, trailer, keep-alive, proxy-connection)");
        }
        if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("header " + name + ": value contains CR or LF (expected: one line)");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c >= 0x7F) {
                throw new IllegalArgumentException("header " + name + ": value has character U+"
                        + String.format("%04X", (int) c) + " at " + i + " (expected: visible ASCII, spaces and tabs;"
                        + " java.net.http.HttpClient sends any other character as '?': encode other text, e.g."
                        + " percent-encoded UTF-8)");
            }
        }
        String[] base = replace ? without(name) : headers;
        String[] next = Arrays.copyOf(base, base.length + 2);
        next[base.length] = name;
        next[base.length + 1] = value;
        return new ClientRequest(service, method, path, target, next, body, timeout, context, hashKey, endpoint);
    }

    /** The headers without {@code name}; the same array when there is none. */
    private String[] without(String name) {
        int found = 0;
        for (int i = 0; i < headers.length; i += 2) {
            if (headers[i].equalsIgnoreCase(name)) {
                found++;
            }
        }
        if (found == 0) {
            return headers;
        }
        String[] kept = new String[headers.length - 2 * found];
        int at = 0;
        for (int i = 0; i < headers.length; i += 2) {
            if (!headers[i].equalsIgnoreCase(name)) {
                kept[at++] = headers[i];
                kept[at++] = headers[i + 1];
            }
        }
        return kept;
    }

    /** A character of an RFC 9110 token (§5.6.2), as a method and a header name are. */
    private static boolean isTokenChar(int c) {
        return c > ' ' && c < 0x7f && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
    }

    private static String checkService(String service) {
        Objects.requireNonNull(service, "service");
        if (service.isBlank()) {
            throw new IllegalArgumentException("service: empty (expected: the name of a configured service)");
        }
        return service;
    }
}
