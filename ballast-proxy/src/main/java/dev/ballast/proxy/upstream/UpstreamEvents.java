package dev.ballast.proxy.upstream;

import dev.ballast.core.health.CheckOutcome;
import dev.ballast.core.health.HealthListener;
import dev.ballast.core.health.HealthTransition;
import dev.ballast.core.outlier.Ejection;
import dev.ballast.core.outlier.OutlierListener;
import dev.ballast.core.state.EndpointState;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Hands one upstream's health checks, transitions, ejections, DNS and discovery changes to every registered listener
 * (metrics, the admin dashboard, tests). The monitor and the detector take one listener when they are
 * built; this is that listener, so others can register later. Called on the control thread.
 */
final class UpstreamEvents implements HealthListener, OutlierListener, MembershipListener {

    private final List<HealthListener> health = new CopyOnWriteArrayList<>();
    private final List<OutlierListener> outliers = new CopyOnWriteArrayList<>();
    private final List<MembershipListener> membership = new CopyOnWriteArrayList<>();

    void add(MembershipListener listener) {
        membership.add(listener);
    }

    void add(HealthListener listener) {
        health.add(listener);
    }

    void remove(HealthListener listener) {
        health.remove(listener);
    }

    void add(OutlierListener listener) {
        outliers.add(listener);
    }

    void remove(OutlierListener listener) {
        outliers.remove(listener);
    }

    @Override
    public void checked(EndpointState endpoint, CheckOutcome outcome, long latencyNanos) {
        for (HealthListener listener : health) {
            listener.checked(endpoint, outcome, latencyNanos);
        }
    }

    @Override
    public void transitioned(HealthTransition transition) {
        for (HealthListener listener : health) {
            listener.transitioned(transition);
        }
    }

    @Override
    public void ejected(Ejection ejection) {
        for (OutlierListener listener : outliers) {
            listener.ejected(ejection);
        }
    }

    @Override
    public void readmitted(EndpointState endpoint) {
        for (OutlierListener listener : outliers) {
            listener.readmitted(endpoint);
        }
    }

    @Override
    public void ejectionRefused(EndpointState endpoint, int ejected, int maxEjected) {
        for (OutlierListener listener : outliers) {
            listener.ejectionRefused(endpoint, ejected, maxEjected);
        }
    }

    @Override
    public void membersChanged(String name, List<String> joined, List<String> left) {
        for (MembershipListener listener : membership) {
            listener.membersChanged(name, joined, left);
        }
    }

    @Override
    public void moved(String endpoint, String ip, String was) {
        for (MembershipListener listener : membership) {
            listener.moved(endpoint, ip, was);
        }
    }

    @Override
    public void discovered(String source, List<String> joined, List<String> left) {
        for (MembershipListener listener : membership) {
            listener.discovered(source, joined, left);
        }
    }
}
