package dev.ballast.proxy.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The dashboard's static files, packaged in the jar under {@code dev/ballast/proxy/admin/dashboard/}
 * and read once: plain HTML, JavaScript and CSS, no build step and nothing fetched from elsewhere.
 */
final class Dashboard {

    record Asset(String contentType, byte[] body) {
    }

    private static final Map<String, Asset> ASSETS = Map.of(
            "/", load("index.html", "text/html; charset=utf-8"),
            "/index.html", load("index.html", "text/html; charset=utf-8"),
            "/dashboard.js", load("dashboard.js", "text/javascript; charset=utf-8"),
            "/dashboard.css", load("dashboard.css", "text/css; charset=utf-8"));

    private Dashboard() {
    }

    /** The asset served at {@code path}: one of {@code /}, {@code /index.html}, {@code /dashboard.js}, {@code /dashboard.css}. */
    static Asset asset(String path) {
        Asset asset = ASSETS.get(path);
        if (asset == null) {
            throw new IllegalArgumentException("no dashboard asset " + path);
        }
        return asset;
    }

    private static Asset load(String name, String contentType) {
        try (InputStream in = Dashboard.class.getResourceAsStream("dashboard/" + name)) {
            if (in == null) {
                throw new IllegalStateException("dashboard/" + name + " is missing from the jar");
            }
            return new Asset(contentType, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
