package dev.ballast.proxy.config;

/** Dotted paths into the document, as problems print them: {@code upstreams.api.endpoints[1].weight}. */
final class Paths {

    private Paths() {
    }

    /** An empty key is shown as {@code ""}: as a path of its own, it would read as the whole file. */
    static String key(String parent, String key) {
        String shown = key.isEmpty() ? "\"\"" : key;
        return parent.isEmpty() ? shown : parent + "." + shown;
    }

    static String index(String parent, int index) {
        return parent + "[" + index + "]";
    }
}
