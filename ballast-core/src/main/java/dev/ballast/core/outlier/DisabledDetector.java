package dev.ballast.core.outlier;

import dev.ballast.core.state.EndpointState;

/** The null object: outcomes still reach the endpoint's counters; nothing is ever ejected. */
enum DisabledDetector implements OutlierDetector {
    INSTANCE;

    @Override
    public void record(EndpointState endpoint, Outcome outcome) {
        endpoint.recordOutcome(outcome.failure());
    }

    @Override
    public void sync() {
    }

    @Override
    public long ejections() {
        return 0;
    }

    @Override
    public long ejectionsRefused() {
        return 0;
    }

    @Override
    public int ejectedNow() {
        return 0;
    }

    @Override
    public void close() {
    }
}
