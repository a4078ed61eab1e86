package dev.ballast.client.interceptor;

import dev.ballast.client.CallException;
import dev.ballast.client.ClientRequest;
import dev.ballast.client.ClientResponse;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * One structured log line per call it wraps, as SLF4J key-value pairs ({@code service}, {@code method},
 * {@code path}, {@code status} or {@code error}, {@code endpoint}, {@code attempts}, {@code duration_ms},
 * {@code trace_id}). Successes at {@code success}, 5xx and failures at WARN.
 */
final class LoggingInterceptor implements Interceptor {

    private final Logger logger;
    private final Level success;

    LoggingInterceptor(Logger logger, Level success) {
        this.logger = logger;
        this.success = success;
    }

    @Override
    public String name() {
        return "logging";
    }

    @Override
    public ClientResponse intercept(Chain chain) {
        ClientRequest request = chain.request();
        long start = System.nanoTime();
        ClientResponse response;
        try {
            response = chain.proceed(request);
        } catch (CallException e) {
            logFailure(chain, start, e.service(), e.kind(), e.endpoint(), e.getMessage());
            throw e;
        } catch (Throwable e) {
            // Not a call failure but a bug or a refusal on the way (another interceptor, the JDK), a checked
            // exception too when thrown undeclared (Kotlin, @SneakyThrows): still a call.
            logFailure(chain, start, chain.request().service(), e.getClass().getSimpleName(), null, e.getMessage());
            throw e;
        }
        Level level = response.isServerError() ? Level.WARN : success;
        if (logger.isEnabledForLevel(level)) {
            logger.atLevel(level).setMessage("call")
                    .addKeyValue("service", response.request().service())
                    .addKeyValue("method", request.method())
                    .addKeyValue("path", request.path())
                    .addKeyValue("status", response.status())
                    .addKeyValue("endpoint", response.endpoint())
                    .addKeyValue("attempts", chain.attemptsSent())
                    .addKeyValue("duration_ms", millis(start))
                    .addKeyValue("trace_id", chain.trace().traceId())
                    .log();
        }
        return response;
    }

    private void logFailure(Chain chain, long start, String service, Object error, String endpoint, String detail) {
        ClientRequest request = chain.request();
        logger.atWarn().setMessage("call failed")
                .addKeyValue("service", service)
                .addKeyValue("method", request.method())
                .addKeyValue("path", request.path())
                .addKeyValue("error", error)
                .addKeyValue("endpoint", endpoint)
                .addKeyValue("attempts", chain.attemptsSent())
                .addKeyValue("duration_ms", millis(start))
                .addKeyValue("trace_id", chain.trace().traceId())
                .addKeyValue("detail", detail)
                .log();
    }

    private static String millis(long startNanos) {
        return String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - startNanos) / 1e6);
    }
}
