package dev.ballast.proxy.admin;

import dev.ballast.core.health.HealthListener;
import dev.ballast.core.health.HealthTransition;
import dev.ballast.core.outlier.Ejection;
import dev.ballast.core.outlier.OutlierListener;
import dev.ballast.core.state.EndpointState;
import dev.ballast.core.state.Health;
import dev.ballast.proxy.upstream.MembershipListener;
import dev.ballast.proxy.upstream.Upstream;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The recent things that happened to the proxy, newest last, for {@code GET /status} and the
 * dashboard: health transitions, ejections and re-admissions, reloads, drains, DNS changes.
 * Bounded: the oldest event goes when a new one comes. Written on the control path, read by the
 * admin loop; a monitor is fine here, nothing on the data path touches it.
 */
public final class AdminEvents {

    static final int CAPACITY = 200;

    /**
     * One event.
     *
     * @param time     when it happened
     * @param kind     {@code health}, {@code ejection}, {@code readmission}, {@code reload}, {@code drain},
     *                 {@code enable}, {@code dns}, {@code discovery}
     * @param upstream the upstream it concerns, or null
     * @param endpoint the endpoint address it concerns, or null
     * @param message  what happened, in words
     */
    public record Event(Instant time, String kind, String upstream, String endpoint, String message) {
    }

    private final ArrayDeque<Event> events = new ArrayDeque<>(CAPACITY);

    /** Records {@code upstream}'s health transitions, ejections, re-admissions, DNS and discovery changes from now on. */
    public void watch(Upstream upstream) {
        String name = upstream.name();
        upstream.addMembershipListener(new MembershipListener() {
            @Override
            public void membersChanged(String dnsName, List<String> joined, List<String> left) {
                for (String address : joined) {
                    add("dns", name, address, "joined: " + dnsName + " resolves to it now");
                }
                for (String address : left) {
                    add("dns", name, address, "left: " + dnsName + " no longer resolves to it");
                }
            }

            @Override
            public void moved(String endpoint, String ip, String was) {
                add("dns", name, endpoint, was == null ? "resolved to " + ip
                        : "moved to " + ip + ": the name no longer lists " + was);
            }

            @Override
            public void discovered(String source, List<String> joined, List<String> left) {
                for (String address : joined) {
                    add("discovery", name, address, "joined: listed under " + source);
                }
                for (String address : left) {
                    add("discovery", name, address, "left: no longer listed under " + source);
                }
            }
        });
        upstream.addHealthListener(new HealthListener() {
            @Override
            public void transitioned(HealthTransition transition) {
                add("health", name, transition.endpoint().address(), word(transition.from()) + " -> "
                        + word(transition.to()) + ": " + transition.reason());
            }
        });
        upstream.addOutlierListener(new OutlierListener() {
            @Override
            public void ejected(Ejection ejection) {
                add("ejection", name, ejection.endpoint().address(), "ejected for "
                        + TimeUnit.NANOSECONDS.toMillis(ejection.durationNanos()) + " ms after "
                        + ejection.failuresInARow() + " failures in a row (ejection " + ejection.ordinal() + ")");
            }

            @Override
            public void readmitted(EndpointState endpoint) {
                add("readmission", name, endpoint.address(), endpoint.health() == Health.HEALTHY
                        ? "back in rotation" : "ejection over; out of rotation while it fails its health checks");
            }
        });
    }

    /** Records a reload, whatever triggered it. */
    public void record(ReloadOutcome outcome) {
        String message = outcome.applied()
                ? "configuration " + outcome.generation() + " applied (" + outcome.trigger() + ")"
                + (outcome.notes().isEmpty() ? "" : "; " + String.join("; ", outcome.notes()))
                : "rejected (" + outcome.trigger() + "): " + String.join("; ", outcome.errors());
        add("reload", null, null, message);
    }

    void add(String kind, String upstream, String endpoint, String message) {
        Event event = new Event(Instant.now(), kind, upstream, endpoint, message);
        synchronized (events) {
            if (events.size() == CAPACITY) {
                events.pollFirst();
            }
            events.addLast(event);
        }
    }

    /** The recent events, oldest first. */
    public List<Event> recent() {
        synchronized (events) {
            return new ArrayList<>(events);
        }
    }

    private static String word(Health health) {
        return health == Health.HEALTHY ? "healthy" : "unhealthy";
    }
}
