package dev.ballast.proxy;

import dev.ballast.proxy.accesslog.AccessLog;
import dev.ballast.proxy.accesslog.LiveAccessLog;
import dev.ballast.proxy.admin.ReloadOutcome;
import dev.ballast.proxy.config.ConfigProblem;
import dev.ballast.proxy.config.ConfigResult;
import dev.ballast.proxy.config.ProxyConfig;
import dev.ballast.proxy.config.UpstreamConfig;
import dev.ballast.proxy.route.RouteTable;
import dev.ballast.proxy.upstream.NameLookups;
import dev.ballast.proxy.upstream.Upstream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Owns the {@link LiveConfig} and replaces it: a reload validates the whole file, builds everything
 * new first (upstreams that changed beyond what can be updated in place, the route table), and only
 * then commits: in-place updates of the upstreams that stay, one reference swap, and retirement of
 * the upstreams that left. A config that does not validate, or cannot be built, changes nothing.
 *
 * <p>An upstream whose endpoints, weights or balancer changed is updated in place ({@link
 * Upstream#update}), so endpoints that stay keep their state: health, ejection, latency, pooled
 * connections. Requests in flight hold the objects they started with, so a removed endpoint or upstream
 * finishes its requests; its pooled connections close after their last one. The {@code access_log}
 * (when changed, or when it is a file) is opened before anything changes and switched to with the rest.
 *
 * <p>Threading: {@link #start}, {@link #load} and {@link #apply} run on the control thread only (one writer);
 * {@link #current} may be read anywhere.
 */
final class Reloader {

    private static final Logger log = LoggerFactory.getLogger(Reloader.class);

    private final AtomicReference<LiveConfig> current = new AtomicReference<>();
    private final UpstreamFactory newUpstream;

    /** Builds (and starts) an upstream. */
    @FunctionalInterface
    interface UpstreamFactory {

        /**
         * @param predecessor            the running upstream of the same name it replaces, or null
         * @param discoveryDeadlineNanos until when the upstream may wait for its discovery's first read
         * @param names                  the configuration's endpoint names, looked up beforehand
         */
        Upstream create(UpstreamConfig config, Upstream predecessor, long discoveryDeadlineNanos, NameLookups names);
    }
    private final LiveAccessLog accessLog;
    private final Consumer<LiveConfig> applied;

    /**
     * @param newUpstream builds (and starts) an upstream for a configuration
     * @param accessLog   the running access log: switched when {@code access_log} changes, and
     *                    reopened on every reload while it writes to a file
     * @param applied     told about each new live configuration after the swap (metrics clean-up)
     */
    Reloader(UpstreamFactory newUpstream, LiveAccessLog accessLog, Consumer<LiveConfig> applied) {
        this.newUpstream = newUpstream;
        this.accessLog = accessLog;
        this.applied = applied;
    }

    LiveConfig current() {
        return current.get();
    }

    /** The configuration the proxy starts with; {@code names}, its endpoint names looked up beforehand. */
    LiveConfig start(ProxyConfig config, NameLookups names) {
        Map<String, Upstream> upstreams = new LinkedHashMap<>();
        long deadline = discoveryDeadline(config);
        try {
            for (UpstreamConfig upstream : config.upstreams().values()) {
                upstreams.put(upstream.name(), newUpstream.create(upstream, null, deadline, names));
            }
            LiveConfig live = new LiveConfig(config, RouteTable.compile(config.routes(), upstreams),
                    Collections.unmodifiableMap(upstreams), 1, Instant.now());
            current.set(live);
            applied.accept(live);
            return live;
        } catch (RuntimeException e) {
            upstreams.values().forEach(Upstream::retire);
            throw e;
        }
    }

    /**
     * Applies a configuration that was read and validated ({@code result}), or refuses it when it has
     * errors; the outcome is logged either way.
     *
     * @param names      its endpoint names, looked up beforehand (off the control path)
     * @param sourceName where it was read from, for the log
     */
    ReloadOutcome load(ConfigResult result, NameLookups names, String sourceName, String trigger) {
        List<String> warnings = formatted(result.warnings());
        if (!result.ok()) {
            List<String> errors = formatted(result.errors());
            log.error("reload ({}) rejected, still serving configuration {}: {}: {} error{}", trigger,
                    current().generation(), sourceName, errors.size(), errors.size() == 1 ? "" : "s");
            errors.forEach(error -> log.error("error: {}", error));
            warnings.forEach(warning -> log.warn("warning: {}", warning));
            return ReloadOutcome.rejected(trigger, current().generation(), errors, warnings);
        }
        warnings.forEach(warning -> log.warn("warning: {}", warning));
        return apply(result.config(), names, trigger, warnings);
    }

    /** Applies a validated configuration; {@code names}, its endpoint names looked up beforehand. */
    ReloadOutcome apply(ProxyConfig next, NameLookups names, String trigger, List<String> warnings) {
        LiveConfig old = current.get();
        List<String> notes = RestartRequired.notes(old.config(), next);
        AccessLog nextLog = null;
        // A file is opened again even when unchanged, as NGINX does: after logrotate moved it, a reload
        // (SIGHUP) starts a new one at the configured path.
        boolean toFile = next.accessLog().enabled() && !next.accessLog().toStdout();
        if (toFile || !next.accessLog().equals(accessLog.config())) {
            try {
                nextLog = AccessLog.open(next.accessLog()); // before anything changes: it may fail
            } catch (IllegalStateException e) {
                log.error("reload ({}) rejected, still serving configuration {}: {}", trigger, old.generation(),
                        e.getMessage());
                return ReloadOutcome.rejected(trigger, old.generation(), List.of(e.getMessage()), warnings);
            }
        }
        Map<String, Upstream> upstreams = new LinkedHashMap<>();
        Map<Upstream, UpstreamConfig> updates = new IdentityHashMap<>();
        List<Upstream> created = new ArrayList<>();
        RouteTable routes;
        long deadline = discoveryDeadline(next);
        try {
            for (UpstreamConfig config : next.upstreams().values()) {
                Upstream existing = old.upstreams().get(config.name());
                if (existing != null && existing.canUpdateTo(config)) {
                    updates.put(existing, config);
                    upstreams.put(config.name(), existing);
                } else {
                    Upstream fresh = newUpstream.create(config, existing, deadline, names);
                    created.add(fresh);
                    upstreams.put(config.name(), fresh);
                }
            }
            routes = RouteTable.compile(next.routes(), upstreams);
        } catch (RuntimeException e) {
            created.forEach(Upstream::retire);
            if (nextLog != null) {
                nextLog.close();
            }
            String error = "cannot build the new configuration: " + e.getMessage();
            log.error("reload ({}) rejected, still serving configuration {}: {}", trigger, old.generation(), error);
            return ReloadOutcome.rejected(trigger, old.generation(), List.of(error), warnings);
        }

        updates.forEach((upstream, config) -> upstream.update(config, names));
        LiveConfig live = new LiveConfig(RestartRequired.effective(old.config(), next), routes,
                Collections.unmodifiableMap(upstreams), old.generation() + 1, Instant.now());
        current.set(live);
        if (nextLog != null) {
            accessLog.switchTo(next.accessLog(), nextLog);
        }

        Set<Upstream> kept = Collections.newSetFromMap(new IdentityHashMap<>());
        kept.addAll(upstreams.values());
        List<String> retired = new ArrayList<>();
        for (Upstream upstream : old.upstreams().values()) {
            if (!kept.contains(upstream)) {
                upstream.retire();
                retired.add(upstream.name());
            }
        }
        applied.accept(live);
        // A rebuilt upstream is created anew under its old name, and the old one retired.
        long rebuilt = created.stream().filter(fresh -> old.upstreams().containsKey(fresh.name())).count();
        long removed = retired.stream().filter(name -> !upstreams.containsKey(name)).count();
        log.info("reload ({}) applied: configuration {}, {} upstream(s) ({} new, {} rebuilt, {} removed), {} route(s)",
                trigger, live.generation(), upstreams.size(), created.size() - rebuilt, rebuilt, removed,
                next.routes().size());
        notes.forEach(note -> log.warn("reload ({}): {}", trigger, note));
        return new ReloadOutcome(true, trigger, live.generation(), List.of(), warnings, notes);
    }

    /** One deadline for the first discovery reads of every upstream a start or reload builds. */
    private static long discoveryDeadline(ProxyConfig config) {
        return System.nanoTime()
                + TimeUnit.MILLISECONDS.toNanos(config.discoveryTimeoutMillis());
    }

    private static List<String> formatted(List<ConfigProblem> problems) {
        return problems.stream().map(ConfigProblem::format).toList();
    }
}
