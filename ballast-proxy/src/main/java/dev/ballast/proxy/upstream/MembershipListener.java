package dev.ballast.proxy.upstream;

import java.util.List;

/**
 * Told when DNS ({@code dns_refresh}) or discovery ({@code discovery}) changes an upstream's endpoints.
 * Called on the control thread.
 */
public interface MembershipListener {

    /**
     * The {@code resolve: all} endpoint {@code name} resolves to another set of addresses now: the
     * members {@code joined} were added and the members {@code left} removed (each as {@code ip:port}).
     */
    default void membersChanged(String name, List<String> joined, List<String> left) {
    }

    /**
     * The one-address endpoint {@code endpoint} connects to {@code ip} now: its name no longer lists
     * the address {@code was}, or it had none yet ({@code was} null: the name did not resolve before).
     */
    default void moved(String endpoint, String ip, String was) {
    }

    /**
     * The discovery {@code source} (e.g. {@code etcd:/services/api/}) lists other endpoints now: the
     * members {@code joined} were added and the members {@code left} removed (each as {@code host:port}).
     */
    default void discovered(String source, List<String> joined, List<String> left) {
    }
}
