package dev.ballast.core.pick;

/** {@code random}: uniform over the endpoints, ignoring weights. */
final class RandomPick implements Picker {

    private final EndpointSet endpoints;
    private final Rng rng;

    RandomPick(EndpointSet endpoints, Rng rng) {
        this.endpoints = endpoints;
        this.rng = rng;
    }

    @Override
    public PickResult pick(PickContext context) {
        return Pickers.take(endpoints.get(rng.nextInt(endpoints.size())));
    }
}
