package dev.ballast.client.interceptor;

import dev.ballast.client.CallListener;
import dev.ballast.client.ClientRequest;
import dev.ballast.core.pick.Rng;
import dev.ballast.core.resilience.RetryBudget;
import dev.ballast.core.resilience.RetryPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/** The built-in interceptors. Add them to the client builder in the order they should run. */
public final class Interceptors {

    private Interceptors() {
    }

    /** One structured line per call on logger {@code dev.ballast.client.calls}: INFO, WARN for 5xx and failures. */
    public static Interceptor logging() {
        return logging(LoggerFactory.getLogger("dev.ballast.client.calls"), Level.INFO);
    }

    /** One structured line per call on {@code logger}; successes at {@code successLevel}. */
    public static Interceptor logging(Logger logger, Level successLevel) {
        return new LoggingInterceptor(Objects.requireNonNull(logger, "logger"),
                Objects.requireNonNull(successLevel, "successLevel"));
    }

    /**
     * {@code Authorization: Bearer <token>}, the token read per call so it can rotate. A call whose
     * supplier gives null or an empty token fails with {@link IllegalStateException} rather than
     * send {@code Bearer null}.
     */
    public static Interceptor bearerAuth(Supplier<String> token) {
        Objects.requireNonNull(token, "token");
        return new HeaderInterceptor("bearer-auth", Map.of("authorization", () -> {
            String current = token.get();
            if (current == null || current.isEmpty()) {
                throw new IllegalStateException("bearer-auth: the token supplier gave " + (current == null ? "null"
                        : "an empty token") + " (expected: a token; is it fetched yet?)");
            }
            return "Bearer " + current;
        }), true);
    }

    /** As {@link #bearerAuth(Supplier)} with a fixed token, checked now (a file read whole ends in a newline). */
    public static Interceptor bearerAuth(String token) {
        Objects.requireNonNull(token, "token");
        if (token.isEmpty()) {
            throw new IllegalArgumentException("bearer-auth: empty token");
        }
        ClientRequest.request("bearer-auth").header("authorization", "Bearer " + token); // refuses what cannot be sent
        return bearerAuth(() -> token);
    }

    /** {@code Authorization: Basic ...} (RFC 7617, UTF-8). */
    public static Interceptor basicAuth(String user, String password) {
        if (user.indexOf(':') >= 0) {
            throw new IllegalArgumentException("basic auth user: contains ':' (expected: none, RFC 7617)");
        }
        String value = "Basic " + Base64.getEncoder().encodeToString(
                (user + ":" + Objects.requireNonNull(password, "password")).getBytes(StandardCharsets.UTF_8));
        return new HeaderInterceptor("basic-auth", Map.of("authorization", () -> value), true);
    }

    /** Headers every request gets unless it sets them itself. */
    public static Interceptor defaultHeaders(Map<String, String> headers) {
        Map<String, Supplier<String>> values = new LinkedHashMap<>();
        ClientRequest check = ClientRequest.request("default-headers");
        headers.forEach((name, value) -> {
            check.header(name, value); // refuses now what every call would refuse later
            values.put(name, () -> value);
        });
        return new HeaderInterceptor("default-headers", values, false);
    }

    /** Reports every call it wraps to {@code listener} ({@link CallListener#callFinished}). */
    public static Interceptor metrics(CallListener listener) {
        return new MetricsInterceptor(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Hedges idempotent requests: up to {@code maxAttempts} in all, one more after each {@code delay}.
     * No budget bounds the hedges; services configured with {@code hedging} get one (below).
     */
    public static Interceptor hedging(int maxAttempts, Duration delay) {
        if (delay.isNegative() || delay.compareTo(Duration.ofDays(365)) > 0) {
            throw new IllegalArgumentException("hedging delay: " + delay + " (expected: 0s to 365 days)");
        }
        long nanos = delay.toNanos();
        return hedging(maxAttempts, () -> nanos);
    }

    /** Hedging with a delay decided per call (for example a service's recent p95), without a budget. */
    public static Interceptor hedging(int maxAttempts, LongSupplier delayNanos) {
        return hedging(maxAttempts, delayNanos, RetryBudget.unlimited(), false);
    }

    /**
     * Hedging whose hedges each take a token of {@code budget}, as retries do: a hedge the budget
     * refuses is not sent. {@code countCalls}: tell the budget of each call here; pass false when a
     * retry interceptor that shares the budget runs before this one and already does. Services
     * configured with {@code hedging} get one of these, sharing the retries' budget.
     */
    public static Interceptor hedging(int maxAttempts, LongSupplier delayNanos, RetryBudget budget,
            boolean countCalls) {
        return new HedgingInterceptor(maxAttempts, Objects.requireNonNull(delayNanos, "delayNanos"),
                Objects.requireNonNull(budget, "budget"), countCalls);
    }

    /**
     * Retries by the core's {@link RetryPolicy} within {@code budget}, backing off by the policy's
     * {@code Backoff}. Services configured with {@code retries} get one of these automatically. Each
     * try is timed by the service ({@code retries.per_try_timeout}, else {@code response_timeout}): the
     * policy's own {@code perTryTimeout} is not applied here.
     */
    public static Interceptor retry(RetryPolicy policy, RetryBudget budget) {
        return retry(policy, budget, Rng.threadLocal());
    }

    /** Retries with backoff jitter drawn from {@code rng} (seeded in tests). */
    public static Interceptor retry(RetryPolicy policy, RetryBudget budget, Rng rng) {
        return new RetryInterceptor(Objects.requireNonNull(policy, "policy"), Objects.requireNonNull(budget, "budget"),
                Objects.requireNonNull(rng, "rng"));
    }

    /** Rules that send requests to a different service by header or path; first match wins. */
    public static Routing routing() {
        return new Routing();
    }

    /** Builds a routing interceptor. {@code from} is a service name, or {@code *} for any. */
    public static final class Routing {

        private final List<RoutingInterceptor.Rule> rules = new ArrayList<>();

        private Routing() {
        }

        /** Requests to {@code from} whose header {@code name} equals {@code value} go to {@code to}. */
        public Routing header(String from, String name, String value, String to) {
            Objects.requireNonNull(value, "value");
            rules.add(new RoutingInterceptor.Rule(from, r -> r.header(name).map(value::equals).orElse(false), to,
                    from + " with " + name + ": " + value + " -> " + to));
            return this;
        }

        /** Requests to {@code from} whose path starts with {@code prefix} go to {@code to}. */
        public Routing pathPrefix(String from, String prefix, String to) {
            Objects.requireNonNull(prefix, "prefix");
            rules.add(new RoutingInterceptor.Rule(from, r -> r.path().startsWith(prefix), to,
                    from + prefix + "* -> " + to));
            return this;
        }

        public Interceptor build() {
            return new RoutingInterceptor(rules);
        }
    }
}
