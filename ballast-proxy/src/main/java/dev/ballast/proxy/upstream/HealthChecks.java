package dev.ballast.proxy.upstream;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.core.health.CheckOutcome;
import dev.ballast.core.health.HealthChecker;
import dev.ballast.proxy.config.HealthCheckConfig;
import dev.ballast.proxy.config.UpstreamConfig;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** Builds an upstream's {@link HealthChecker} from its {@code health_check}, and what the checkers share. */
final class HealthChecks {

    private HealthChecks() {
    }

    /**
     * The checker for {@code check}: connections come from {@code bootstrap} (the upstream's event loop
     * group and transport), open within the check's timeout, and read as they arrive.
     */
    static HealthChecker of(HealthCheckConfig check, UpstreamConfig upstream, Bootstrap bootstrap,
                            Function<Endpoint, InetSocketAddress> resolve) {
        int timeoutMillis = (int) Math.clamp(check.settings().timeout().toMillis(), 1, Integer.MAX_VALUE);
        Bootstrap checks = bootstrap.clone()
                .option(ChannelOption.AUTO_READ, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeoutMillis);
        return switch (check.type()) {
            case TCP -> new TcpHealthChecker(checks, resolve);
            case HTTP -> new HttpHealthChecker(checks, check.path(), check.expectedStatus(), hostHeader(upstream),
                    resolve);
        };
    }

    /** The checks' Host: the upstream's literal {@code host_header} if it has one, else the endpoint's address. */
    private static Function<Endpoint, String> hostHeader(UpstreamConfig upstream) {
        String rule = upstream.hostHeader();
        if (rule.equals(UpstreamConfig.HOST_PRESERVE) || rule.equals(UpstreamConfig.HOST_ENDPOINT)) {
            return Endpoint::address;
        }
        return endpoint -> rule;
    }

    /** The monitor cancels a check that ran out of time: close its connection, or stop connecting. */
    static void closeOnCancel(CompletableFuture<CheckOutcome> result, ChannelFuture connect) {
        result.whenComplete((outcome, error) -> {
            if (result.isCancelled()) {
                connect.cancel(false);
                connect.channel().close();
            }
        });
    }
}
