package dev.ballast.proxy.upstream;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.proxy.config.UpstreamConfig;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The endpoints' host names of a configuration, looked up before it is applied, off the control path:
 * a lookup may block for seconds (a resolver that does not answer), and the control path runs every
 * upstream's health checks, ejections and reloads. The upstreams a start or reload builds or updates
 * choose their addresses from here ({@link #choose}) by the rule {@link DnsRefresh} follows, so a
 * reload neither churns connections nor, in a DNS outage, takes endpoints out of rotation.
 */
public final class NameLookups {

    /**
     * Nothing looked up beforehand: a name not known yet is looked up where it is needed. For an upstream
     * made outside a proxy (on its caller's thread), and for changes whose addresses are known already
     * (DNS and etcd look theirs up on their own threads).
     */
    public static final NameLookups NONE = new NameLookups(Map.of());

    /** By host name as written (the JDK's own cache of lookups goes by spelling too). */
    private final Map<String, Lookup> lookups;

    private NameLookups(Map<String, Lookup> lookups) {
        this.lookups = lookups;
    }

    /**
     * One lookup of a name.
     *
     * @param addresses every address of the answer, in answer order; empty when it failed
     * @param failure   why it failed, or null
     */
    record Lookup(List<InetAddress> addresses, String failure) {

        /** Looks {@code host} up now, on the calling thread. */
        static Lookup of(String host) {
            try {
                return new Lookup(List.of(InetAddress.getAllByName(host)), null);
            } catch (UnknownHostException | RuntimeException e) { // whatever else a lookup throws fails this name only
                return new Lookup(List.of(), e.toString());
            }
        }
    }

    /**
     * Looks up every host name among the configured endpoints of {@code upstreams}, each on a virtual
     * thread of its own, and returns once all have answered (or failed). IP addresses need no lookup.
     */
    public static NameLookups of(Collection<UpstreamConfig> upstreams) {
        Set<String> names = new LinkedHashSet<>();
        for (UpstreamConfig upstream : upstreams) {
            for (Endpoint endpoint : upstream.endpoints()) {
                if (DnsRefresh.isHostName(endpoint.host())) {
                    names.add(endpoint.host());
                }
            }
        }
        return lookingUp(names);
    }

    /** Looks every one of {@code names} up, each on a virtual thread of its own, and returns once all have answered. */
    static NameLookups lookingUp(Set<String> names) {
        if (names.isEmpty()) {
            return NONE;
        }
        Map<String, Lookup> lookups = new ConcurrentHashMap<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            names.forEach(name -> threads.execute(() -> lookups.put(name, Lookup.of(name))));
        } // close() waits for every lookup
        return new NameLookups(Map.copyOf(lookups));
    }

    /** Why the lookup made beforehand of {@code endpoint}'s name failed; null if it made none or it resolved. */
    String failure(Endpoint endpoint) {
        Lookup known = lookups.get(endpoint.host());
        return known == null ? null : known.failure();
    }

    /** True when {@code endpoint}'s name was looked up beforehand and resolved. */
    boolean resolved(Endpoint endpoint) {
        Lookup known = lookups.get(endpoint.host());
        return known != null && !known.addresses().isEmpty();
    }

    /**
     * The address a one-address {@code endpoint} should use, given the one it has ({@code previous}, or
     * null), by the rule {@link DnsRefresh} follows: a name whose answer still lists the address in use
     * keeps it, else takes the answer's first; a lookup that failed keeps what there is (a DNS outage
     * takes no endpoint out of rotation), or gives an unresolved address. Null when there is nothing to
     * go on: no address yet, and no lookup made beforehand (an IP address needs none).
     */
    InetSocketAddress choose(Endpoint endpoint, InetSocketAddress previous) {
        Lookup lookup = lookups.get(endpoint.host());
        if (lookup == null || lookup.addresses().isEmpty()) {
            if (previous != null || lookup == null) {
                return previous;
            }
            return InetSocketAddress.createUnresolved(endpoint.host(), endpoint.port());
        }
        if (previous != null && !previous.isUnresolved() && lookup.addresses().contains(previous.getAddress())) {
            return previous;
        }
        return new InetSocketAddress(lookup.addresses().getFirst(), endpoint.port());
    }

    /** What {@code host} resolved to beforehand, or else now. */
    Lookup lookUp(String host) {
        Lookup known = lookups.get(host);
        return known != null ? known : Lookup.of(host);
    }

    /**
     * The address {@code endpoint} gets: as {@code new InetSocketAddress(host, port)} makes it (the
     * first address of its name's answer, or unresolved), from the lookup made beforehand if there was one.
     */
    InetSocketAddress addressOf(Endpoint endpoint) {
        Lookup known = lookups.get(endpoint.host());
        if (known == null) {
            return new InetSocketAddress(endpoint.host(), endpoint.port());
        }
        return known.addresses().isEmpty() ? InetSocketAddress.createUnresolved(endpoint.host(), endpoint.port())
                : new InetSocketAddress(known.addresses().getFirst(), endpoint.port());
    }
}
