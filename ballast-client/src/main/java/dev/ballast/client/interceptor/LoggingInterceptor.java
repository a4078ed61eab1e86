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
        try {
            ClientResponse response = chain.proceed(request);
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
        } catch (CallException e) {
            logger.atWarn().setMessage("call failed")
                    .addKeyValue("service", e.service())
                    .addKeyValue("method", request.method())
                    .addKeyValue("path", request.path())
                    .addKeyValue("error", e.kind())
                    .addKeyValue("endpoint", e.endpoint())
                    .addKeyValue("attempts", chain.attemptsSent())
                    .addKeyValue("duration_ms", millis(start))
                    .addKeyValue("trace_id", chain.trace().traceId())
                    .addKeyValue("detail", e.getMessage())
                    .log();
            throw e;
        } catch (RuntimeException e) {
            logger.atWarn().setMessage("call failed")
                    .addKeyValue("service", request.service())
                    .addKeyValue("method", request.method())
                    .addKeyValue("path", request.path())
                    .addKeyValue("error", e.getClass().getSimpleName())
                    .addKeyValue("attempts", chain.attemptsSent())
                    .addKeyValue("duration_ms", millis(start))
                    .addKeyValue("trace_id", chain.trace().traceId())
                    .addKeyValue("detail", e.getMessage())
                    .log();
            throw e;
        }
    }

    private static String millis(long startNanos) {
        return String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - startNanos) / 1e6);
    }
}
