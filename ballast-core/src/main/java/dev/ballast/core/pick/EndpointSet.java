package dev.ballast.core.pick;

import dev.ballast.core.state.EndpointState;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An immutable snapshot of the endpoints a picker chooses from, with the effective weight of each
 * (the configured weight, scaled down during slow start). Built by the control path whenever
 * membership, health or weights change, and published with one reference swap.
 */
public final class EndpointSet {

    private final EndpointState[] members;
    private final int[] weights;
    private final long totalWeight;
    private final boolean panic;

    private EndpointSet(EndpointState[] members, int[] weights, boolean panic) {
        if (members.length != weights.length) {
            throw new IllegalArgumentException("members and weights differ in length");
        }
        long total = 0;
        for (int weight : weights) {
            if (weight < 1) {
                throw new IllegalArgumentException("effective weight: " + weight + " (expected: >= 1)");
            }
            total += weight;
        }
        this.members = members;
        this.weights = weights;
        this.totalWeight = total;
        this.panic = panic;
    }

    /** A set of {@code members} at their configured weights. */
    public static EndpointSet of(List<EndpointState> members) {
        EndpointState[] array = members.toArray(EndpointState[]::new);
        int[] weights = new int[array.length];
        for (int i = 0; i < array.length; i++) {
            weights[i] = array[i].endpoint().weight();
        }
        return new EndpointSet(array, weights, false);
    }

    /** A set with explicit effective weights, in the order of {@code members}. */
    public static EndpointSet of(List<EndpointState> members, int[] effectiveWeights, boolean panic) {
        Objects.requireNonNull(effectiveWeights, "effectiveWeights");
        return new EndpointSet(members.toArray(EndpointState[]::new), effectiveWeights.clone(), panic);
    }

    public int size() {
        return members.length;
    }

    public boolean isEmpty() {
        return members.length == 0;
    }

    public EndpointState get(int index) {
        return members[index];
    }

    /** The effective weight of member {@code index}, at least 1. */
    public int weight(int index) {
        return weights[index];
    }

    public long totalWeight() {
        return totalWeight;
    }

    /** True when every weight is the same, so balancers may take their unweighted fast path. */
    public boolean uniformWeights() {
        for (int weight : weights) {
            if (weight != weights[0]) {
                return false;
            }
        }
        return true;
    }

    /** True when too few endpoints were eligible and this set holds all of them (Envoy's panic mode). */
    public boolean panic() {
        return panic;
    }

    /** The members' position of {@code state}, or -1. Linear: control path and tests only. */
    public int indexOf(EndpointState state) {
        for (int i = 0; i < members.length; i++) {
            if (members[i] == state) {
                return i;
            }
        }
        return -1;
    }

    public List<EndpointState> members() {
        return List.of(members);
    }

    @Override
    public String toString() {
        return "EndpointSet" + Arrays.toString(members) + (panic ? " (panic)" : "");
    }
}
