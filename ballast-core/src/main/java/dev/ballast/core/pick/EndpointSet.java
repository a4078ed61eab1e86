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
    private final int weightUnit;
    private final boolean panic;

    private EndpointSet(EndpointState[] members, int[] weights, int weightUnit, boolean panic) {
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
        if (weightUnit < 1) {
            throw new IllegalArgumentException("weight unit: " + weightUnit + " (expected: >= 1)");
        }
        this.totalWeight = total;
        this.weightUnit = weightUnit;
        this.panic = panic;
    }

    /** A set of {@code members} at their configured weights. */
    public static EndpointSet of(List<EndpointState> members) {
        EndpointState[] array = members.toArray(EndpointState[]::new);
        int[] weights = new int[array.length];
        for (int i = 0; i < array.length; i++) {
            weights[i] = array[i].endpoint().weight();
        }
        return new EndpointSet(array, weights, 1, false);
    }

    /** A set with explicit effective weights, in the order of {@code members}. */
    public static EndpointSet of(List<EndpointState> members, int[] effectiveWeights, boolean panic) {
        return of(members, effectiveWeights, 1, panic);
    }

    /**
     * A set with explicit effective weights counted in {@code weightUnit}s of a configured weight of
     * 1: slow start scales every weight up by its resolution while an endpoint ramps up, so that a
     * ramping endpoint's fraction is a whole number.
     */
    public static EndpointSet of(List<EndpointState> members, int[] effectiveWeights, int weightUnit, boolean panic) {
        Objects.requireNonNull(effectiveWeights, "effectiveWeights");
        return new EndpointSet(members.toArray(EndpointState[]::new), effectiveWeights.clone(), weightUnit, panic);
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

    /**
     * How many effective weight units make a configured weight of 1: 1, or slow start's resolution
     * while an endpoint ramps up. A balancer whose picks depend on weights' absolute size (the
     * ring's points per weight) divides by it, so that the ramp moves no other endpoint's keys.
     */
    public int weightUnit() {
        return weightUnit;
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
