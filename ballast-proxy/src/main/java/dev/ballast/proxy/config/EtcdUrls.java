package dev.ballast.proxy.config;

import java.net.URI;
import java.net.URISyntaxException;

/** The client URL of an etcd member, as the configuration and the command line take it. */
public final class EtcdUrls {

    public static final String EXPECTED = "an etcd client URL, e.g. http://127.0.0.1:2379";

    private EtcdUrls() {
    }

    /**
     * {@code http://host:port} or {@code https://host:port}, with nothing after the port but an optional
     * {@code /}.
     *
     * @throws IllegalArgumentException saying what is wrong and what was expected
     */
    public static URI parse(String text) {
        int at = text.lastIndexOf('@');
        if (at >= 0) {
            // Checked first, and never echoed whole: what comes before the '@' may hold a password.
            int scheme = text.indexOf("://");
            String shown = (scheme >= 0 && scheme < at ? text.substring(0, scheme + 3) : "") + text.substring(at + 1);
            throw new IllegalArgumentException("'" + shown + "' has a user name in it (not shown): give etcd's login"
                    + " as etcd.username and etcd.password, or on the command line as --config-etcd-user and"
                    + " --config-etcd-password-file (expected: " + EXPECTED + ")");
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + text + "' is not a URL (expected: " + EXPECTED + ")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme();
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("'" + text + "' is not an http:// or https:// URL (expected: "
                    + EXPECTED + ")");
        }
        if (uri.getHost() == null || uri.getPort() < 1) {
            throw new IllegalArgumentException("'" + text + "' has no host or port (expected: " + EXPECTED + ")");
        }
        if (uri.getPort() > 65535) {
            throw new IllegalArgumentException("port " + uri.getPort() + " out of range (expected: 1..65535)");
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        if (!path.isEmpty() && !path.equals("/") || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("'" + text + "' has a path or query (expected: " + EXPECTED + ")");
        }
        return URI.create(scheme + "://" + uri.getRawAuthority());
    }
}
