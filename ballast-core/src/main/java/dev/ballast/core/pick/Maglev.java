package dev.ballast.core.pick;

import dev.ballast.core.internal.XxHash64;
import dev.ballast.core.state.EndpointState;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * {@code maglev}: Google's Maglev consistent hashing (Eisenbud et al., NSDI 2016, section 3.4).
 * Every endpoint walks its own permutation of a prime-sized table ({@code offset + j x skip}, both
 * from XXH64 of its address) and claims the next free slot in turn until the table is full; a key
 * goes to {@code table[hash mod size]}. Lookups are one array read, each endpoint gets an almost
 * equal share of slots (within one slot, weighted), and a membership change moves few keys.
 *
 * <p>Weights follow Envoy's weighted Maglev: in round {@code r} an endpoint takes a turn only while
 * its slot count is below {@code r x weight / maxWeight}, so slots are shared in proportion.
 */
final class Maglev implements Picker, BoundedLoad.Walk {

    /** The paper's small table size; a prime well above 100 x the endpoint count keeps shares even. */
    static final int DEFAULT_TABLE_SIZE = 65_537;

    private final EndpointSet endpoints;
    private final Rng rng;
    private final BoundedLoad bound;
    /** In flight over these endpoints, for the bound; null without one. */
    private final LoadTotal total;
    private final int[] table;

    Maglev(EndpointSet endpoints, Rng rng, BoundedLoad bound, int tableSize) {
        if (!isPrime(tableSize)) {
            throw new IllegalArgumentException("maglev table size: " + tableSize + " (expected: a prime)");
        }
        if (tableSize < endpoints.size()) {
            throw new IllegalArgumentException("maglev table size: " + tableSize
                    + " (expected: at least the number of endpoints, " + endpoints.size() + ")");
        }
        this.endpoints = endpoints;
        this.rng = rng;
        this.bound = bound;
        this.table = populate(endpoints, tableSize);
        // Bound last: until this picker is published, the one in force counts the load (see Balancer.rebuild).
        this.total = bound == null ? null : LoadTotal.bind(endpoints);
    }

    private static int[] populate(EndpointSet endpoints, int size) {
        int n = endpoints.size();
        long[] offset = new long[n];
        long[] skip = new long[n];
        long[] next = new long[n];
        long[] taken = new long[n];
        long maxWeight = 0;
        for (int i = 0; i < n; i++) {
            String address = endpoints.get(i).address();
            offset[i] = Long.remainderUnsigned(XxHash64.hash(address, 0), size);
            skip[i] = Long.remainderUnsigned(XxHash64.hash(address, 1), size - 1) + 1;
            maxWeight = Math.max(maxWeight, endpoints.weight(i));
        }
        // Turns go in address order, not list order: whoever takes its turn first wins a contested
        // slot, and the same membership must give the same table however it happens to be listed.
        int[] turns = IntStream.range(0, n).boxed()
                .sorted(Comparator.comparing(i -> endpoints.get(i).address()))
                .mapToInt(Integer::intValue)
                .toArray();
        int[] table = new int[size];
        Arrays.fill(table, -1);
        int filled = 0;
        for (long round = 1; filled < size; round++) {
            for (int turn = 0; turn < n && filled < size; turn++) {
                int i = turns[turn];
                if (taken[i] * maxWeight >= round * endpoints.weight(i)) {
                    continue; // this endpoint is ahead of its weighted share for now
                }
                int slot;
                do {
                    slot = (int) ((offset[i] + next[i] * skip[i]) % size);
                    next[i]++;
                } while (table[slot] >= 0);
                table[slot] = i;
                taken[i]++;
                filled++;
            }
        }
        return table;
    }

    @Override
    public PickResult pick(PickContext context) {
        int slot = context.hasHash()
                ? (int) Long.remainderUnsigned(context.hash(), table.length)
                : rng.nextInt(table.length);
        if (bound == null) {
            return Pickers.take(endpoints.get(table[slot]));
        }
        return bound.take(this, slot, total, endpoints.size());
    }

    @Override
    public int spillCapacity() {
        return bound == null ? Integer.MAX_VALUE : bound.capacity(total.sum(), endpoints.size());
    }

    @Override
    public int places() {
        return table.length;
    }

    @Override
    public EndpointState at(int slot) {
        return endpoints.get(table[slot]);
    }

    /** The member index a key maps to, ignoring load: for tests of consistency. */
    int ownerOf(long hash) {
        return table[(int) Long.remainderUnsigned(hash, table.length)];
    }

    /** How many table slots member {@code index} owns: its exact share of keys. */
    int slotsOf(int index) {
        int count = 0;
        for (int owner : table) {
            if (owner == index) {
                count++;
            }
        }
        return count;
    }

    static boolean isPrime(int value) {
        if (value < 2) {
            return false;
        }
        for (int d = 2; (long) d * d <= value; d++) {
            if (value % d == 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean redrawsVary() {
        return false; // a request lands by its key: the same endpoint again
    }
}
