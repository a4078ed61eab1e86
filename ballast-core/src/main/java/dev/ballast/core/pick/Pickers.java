package dev.ballast.core.pick;

import dev.ballast.core.state.EndpointState;

/** Small steps every picker shares. */
final class Pickers {

    private Pickers() {
    }

    /** Counts the request on {@code state} and hands it out, without allocating. */
    static PickResult take(EndpointState state) {
        state.acquire();
        return state.picked();
    }

    /** Greatest common divisor of the weights, to shorten cycles and tables. */
    static int gcd(EndpointSet endpoints) {
        int gcd = endpoints.weight(0);
        for (int i = 1; i < endpoints.size() && gcd > 1; i++) {
            int b = endpoints.weight(i);
            int a = gcd;
            while (b != 0) {
                int t = a % b;
                a = b;
                b = t;
            }
            gcd = a;
        }
        return gcd;
    }
}
