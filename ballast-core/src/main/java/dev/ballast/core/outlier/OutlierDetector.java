package dev.ballast.core.outlier;

import dev.ballast.core.pick.Balancer;
import dev.ballast.core.state.EndpointState;
import dev.ballast.core.time.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;

/**
 * Passive health checking for one upstream: the data path reports how each request ended, and an
 * endpoint that fails {@code consecutive_failures} times in a row is ejected from its {@link Balancer}
 * for a time that doubles on each ejection in a row, within {@code max_ejection_percent}.
 *
 * <p>Threading: {@link #record} is called on the request path from any thread; it is lock-free and
 * allocation-free (the one failure that completes a run hands the ejection to the scheduler). {@link
 * #sync} and {@link #close} are control-path calls from the upstream's one writer; ejections and
 * re-admissions run on the {@link Scheduler}.
 *
 * <p>A disabled detector is the null object {@link #disabled()}, so the data path never asks whether
 * outlier detection is on.
 */
public interface OutlierDetector extends AutoCloseable {

    /**
     * Reports how one request to {@code endpoint} ended. Also counts it on the endpoint ({@link
     * EndpointState#recordOutcome}), so callers make this one call per request; a request that must
     * not count for or against the endpoint here is counted with {@code recordOutcome} alone. Outcomes
     * for endpoints that are no longer members are counted and otherwise ignored.
     */
    void record(EndpointState endpoint, Outcome outcome);

    /**
     * Follows the balancer's membership: call after each {@link Balancer#setEndpoints}. Endpoints that
     * left are forgotten (their timers cancelled), new ones start with a clean record.
     */
    void sync();

    /** Ejections so far (a counter for metrics). */
    long ejections();

    /** Ejections refused by {@code max_ejection_percent} so far (a counter for metrics). */
    long ejectionsRefused();

    /** Endpoints ejected right now. */
    int ejectedNow();

    /**
     * Stops: cancels pending re-admissions and re-admits the endpoints this detector ejected, since no
     * one would judge them any more. Idempotent.
     */
    @Override
    void close();

    /** Counts outcomes on the endpoint and never ejects. */
    static OutlierDetector disabled() {
        return DisabledDetector.INSTANCE;
    }

    /** A detector for {@code balancer}'s endpoints; needs a {@link Builder#scheduler scheduler}. */
    static Builder builder(Balancer balancer, OutlierDetection settings) {
        return new Builder(balancer, settings);
    }

    /** Builds a consecutive-failure detector. */
    final class Builder {

        final Balancer balancer;
        final OutlierDetection settings;
        Scheduler scheduler;
        OutlierListener listener = OutlierListener.NONE;
        String name = "upstream";
        Logger logger = LoggerFactory.getLogger(OutlierDetector.class);

        private Builder(Balancer balancer, OutlierDetection settings) {
            this.balancer = Objects.requireNonNull(balancer, "balancer");
            this.settings = Objects.requireNonNull(settings, "settings");
        }

        /** Runs ejections and re-admissions. Required. */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        public Builder listener(OutlierListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** The upstream's name, for logs. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Where ejections are logged; tests capture it. */
        Builder logger(Logger logger) {
            this.logger = Objects.requireNonNull(logger, "logger");
            return this;
        }

        /** Builds the detector and {@link OutlierDetector#sync() syncs} it with the current members. */
        public OutlierDetector build() {
            if (scheduler == null) {
                throw new IllegalStateException("outlier detection needs a scheduler to eject and re-admit");
            }
            ConsecutiveFailureDetector detector = new ConsecutiveFailureDetector(this);
            detector.sync();
            return detector;
        }
    }
}
