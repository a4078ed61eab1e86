package dev.ballast.proxy.upstream;

import dev.ballast.core.endpoint.Endpoint;
import dev.ballast.proxy.config.UpstreamConfig;
import io.netty.util.NetUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the endpoints marked {@code resolve: all} into one member per address their name resolves
 * to, as Envoy's strict DNS clusters do, so a name with many addresses (a Kubernetes headless
 * service, a round-robin DNS record) is balanced over all of them. Each member is {@code ip:port}
 * with the weight, zone and metadata of its endpoint, plus the label {@link
 * UpstreamConfig#DNS_NAME_LABEL} naming the host it came from. The other endpoints are members as
 * they are.
 *
 * <p>Only the addresses of one family are used, the family of the first address of the answer (the
 * one a {@code resolve: one} endpoint would connect to): a dual-stack name lists each instance twice,
 * once per family, and must not count it twice.
 *
 * <p>Control path only: not thread-safe. A name is looked up when first seen (from the lookups a start
 * or reload made beforehand); later answers come from {@link DnsRefresh} and from reloads.
 */
final class NameExpansion {

    private static final Logger log = LoggerFactory.getLogger(NameExpansion.class);

    private final String upstream;
    /** By endpoint address ({@code name:port}): the addresses its name resolved to last, in answer order. */
    private final Map<String, List<InetAddress>> resolved = new HashMap<>();

    NameExpansion(String upstream) {
        this.upstream = upstream;
    }

    /** The addresses {@code endpoint}'s name resolved to last; null if it was never looked up. */
    List<InetAddress> addressesOf(Endpoint endpoint) {
        return resolved.get(endpoint.address());
    }

    /**
     * Starts {@code endpoint} from {@code addresses}, what it had before (in the upstream this one
     * replaces, or in the other {@code resolve} mode), because its lookup failed ({@code failure},
     * logged) or was not made (null).
     */
    void seed(Endpoint endpoint, List<InetAddress> addresses, String failure) {
        resolved.put(endpoint.address(), List.copyOf(addresses));
        if (failure != null) {
            warnKept(endpoint, failure);
        }
    }

    private void warnKept(Endpoint endpoint, String failure) {
        log.warn("upstream {}: endpoint {}: cannot resolve {} ({}); keeping its last {} address(es)", upstream,
                endpoint.address(), endpoint.host(), failure, resolved.get(endpoint.address()).size());
    }

    /**
     * The members of {@code config}: its endpoints, with every {@code resolve: all} one replaced by a
     * member per address. An address listed twice (by two names, or by a name and an endpoint) is one
     * member, the first. Names seen for the first time are looked up now, and so are names without an
     * address when {@code lookUpUnresolved} (at a reload, which may be the only look with {@code
     * dns_refresh: 0}; not when DNS itself changed the members, so one slow name does not hold up the
     * control path for the others). Names no longer configured are forgotten.
     *
     * @param names the lookups made for a start or reload before it was applied, which are used first
     */
    List<Endpoint> members(UpstreamConfig config, boolean lookUpUnresolved, NameLookups names) {
        resolved.keySet().retainAll(config.resolveAll());
        Map<String, Endpoint> members = new LinkedHashMap<>();
        for (Endpoint endpoint : config.endpoints()) {
            if (!config.resolvesAll(endpoint)) {
                members.putIfAbsent(endpoint.address(), endpoint);
                continue;
            }
            List<InetAddress> addresses = resolved.get(endpoint.address());
            if (addresses == null || (addresses.isEmpty() && lookUpUnresolved)) {
                addresses = lookUp(endpoint, names);
                resolved.put(endpoint.address(), addresses);
            }
            for (InetAddress address : addresses) {
                Endpoint member = member(endpoint, address);
                members.putIfAbsent(member.address(), member);
            }
        }
        return List.copyOf(members.values());
    }

    /**
     * Takes what a reload looked up for the {@code resolve: all} names known already, as a refresh takes
     * its answers ({@link #update}): else a reload that updates in place would apply a name's new set
     * only at the next refresh, and never with {@code dns_refresh: 0}. A failed lookup changes nothing,
     * so an outage keeps the last addresses (with a warning). Returns what changed, name by name.
     */
    List<Change> takeLookups(UpstreamConfig config, NameLookups names) {
        List<Change> changes = new ArrayList<>();
        for (Endpoint endpoint : config.endpoints()) {
            List<InetAddress> before = resolved.get(endpoint.address());
            if (!config.resolvesAll(endpoint) || before == null) {
                continue; // a name seen for the first time is looked up by members()
            }
            if (names.resolved(endpoint)) {
                if (update(endpoint, names.lookUp(endpoint.host()).addresses())) {
                    changes.add(new Change(endpoint, membersOf(endpoint, resolved.get(endpoint.address()), before),
                            membersOf(endpoint, before, resolved.get(endpoint.address()))));
                }
            } else if (names.failure(endpoint) != null && !before.isEmpty()) {
                warnKept(endpoint, names.failure(endpoint));
            }
        }
        return changes;
    }

    /**
     * A {@code resolve: all} name's new answer: the members it adds ({@code joined}) and drops ({@code
     * left}), by {@code ip:port}, before the members of other endpoints are taken into account.
     */
    record Change(Endpoint endpoint, List<String> joined, List<String> left) {
    }

    /** The members {@code endpoint} makes of the addresses in {@code in} and not in {@code notIn}. */
    private static List<String> membersOf(Endpoint endpoint, List<InetAddress> in, List<InetAddress> notIn) {
        return in.stream().filter(address -> !notIn.contains(address))
                .map(address -> member(endpoint, address).address()).sorted().toList();
    }

    /** True when {@code endpoint}'s name resolved to no address yet (so it adds no member). */
    boolean unresolved(Endpoint endpoint) {
        return resolved.getOrDefault(endpoint.address(), List.of()).isEmpty();
    }

    /**
     * Records a new lookup of {@code endpoint}'s name; true when its set of addresses changed (the
     * order alone does not count: a rotating answer must not churn members).
     */
    boolean update(Endpoint endpoint, List<InetAddress> answer) {
        List<InetAddress> addresses = oneFamily(answer);
        List<InetAddress> before = resolved.getOrDefault(endpoint.address(), List.of());
        if (new HashSet<>(before).equals(new HashSet<>(addresses))) {
            return false;
        }
        resolved.put(endpoint.address(), List.copyOf(addresses));
        Set<InetAddress> joined = new HashSet<>(addresses);
        before.forEach(joined::remove);
        Set<InetAddress> left = new HashSet<>(before);
        addresses.forEach(left::remove);
        log.info("upstream {}: {} now resolves to {} address(es): {} joined {}, {} left {}", upstream,
                endpoint.address(), addresses.size(), joined.size(), describe(joined), left.size(), describe(left));
        return true;
    }

    private List<InetAddress> lookUp(Endpoint endpoint, NameLookups names) {
        NameLookups.Lookup lookup = names.lookUp(endpoint.host());
        if (lookup.failure() != null) {
            log.warn("upstream {}: endpoint {}: cannot resolve {} ({}); it adds no endpoint until it does",
                    upstream, endpoint.address(), endpoint.host(), lookup.failure());
        }
        return oneFamily(lookup.addresses());
    }

    /** The addresses of {@code answer} of the first one's family, in answer order. */
    static List<InetAddress> oneFamily(List<InetAddress> answer) {
        if (answer.isEmpty()) {
            return List.of();
        }
        Class<? extends InetAddress> family = answer.getFirst().getClass();
        return answer.stream().filter(address -> address.getClass() == family).toList();
    }

    private static Endpoint member(Endpoint endpoint, InetAddress address) {
        Map<String, String> metadata = new HashMap<>(endpoint.metadata());
        metadata.put(UpstreamConfig.DNS_NAME_LABEL, endpoint.host());
        // The short form, as a user would write it; an IPv6 scope (link-local only) is not kept.
        return new Endpoint(NetUtil.toAddressString(address), endpoint.port(), endpoint.weight(), endpoint.zone(),
                metadata);
    }

    private static List<String> describe(Set<InetAddress> addresses) {
        List<String> text = new ArrayList<>();
        addresses.forEach(address -> text.add(NetUtil.toAddressString(address)));
        text.sort(null);
        return text;
    }
}
