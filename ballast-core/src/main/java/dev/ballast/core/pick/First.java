package dev.ballast.core.pick;

/**
 * {@code first}: always the first eligible endpoint in configuration order: active/standby. Since
 * health and draining are applied when the snapshot is built, "first" here is the first one left.
 */
final class First implements Picker {

    private final EndpointSet endpoints;

    First(EndpointSet endpoints) {
        this.endpoints = endpoints;
    }

    @Override
    public PickResult pick(PickContext context) {
        return Pickers.take(endpoints.get(0));
    }

    @Override
    public boolean spillsInOrder() {
        return true; // the standbys in their order, eligible ones first
    }

    @Override
    public boolean redrawsVary() {
        return false; // the first eligible one again
    }
}
