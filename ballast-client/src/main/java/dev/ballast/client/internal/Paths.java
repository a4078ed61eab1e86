package dev.ballast.client.internal;

/** Dotted paths into the document, as problems print them: {@code upstreams.api.endpoints[1].weight}. */
final class Paths {

    private Paths() {
    }

    static String key(String parent, String key) {
        return parent.isEmpty() ? key : parent + "." + key;
    }

    static String index(String parent, int index) {
        return parent + "[" + index + "]";
    }
}
