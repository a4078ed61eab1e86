package dev.ballast.proxy.upstream;

import java.util.List;

/** Told when DNS changes an upstream's endpoints ({@code dns_refresh}). Called on the control thread. */
public interface DnsListener {

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
}
