package dev.ballast.proxy.admin;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.NetUtil;

import java.util.Locale;

/**
 * What keeps web pages out of the admin API: with no token (one on loopback) both checks below, with
 * a token the cross-site one. A page the operator
 * opens can send a simple cross-site POST, which needs no CORS preflight, to {@code 127.0.0.1:9901}
 * and drain an endpoint; and a page can point a name of its own at 127.0.0.1 (DNS rebinding) and then
 * read {@code /status} as same-origin. Both show in the request: the first in {@code Origin} or
 * {@code Sec-Fetch-Site}, the second in a {@code Host} that is neither an IP address nor localhost.
 * Clients that are not browsers (curl, Prometheus, scripts) send neither.
 */
final class LocalOnly {

    private LocalOnly() {
    }

    /** Why {@code request} must be refused with 403, in words, or null when it may go on. */
    static String problem(HttpRequest request) {
        String host = request.headers().get(HttpHeaderNames.HOST);
        if (host != null && !isAddressOrLocalhost(host)) {
            return "this admin API has no token, so it answers requests for its address or localhost only, not for '"
                    + host + "' (a web page can point a name it owns at 127.0.0.1; set admin.token to use a name)";
        }
        return crossSiteProblem(request);
    }

    /**
     * Why a request that changes something must be refused because a web page of another site sent
     * it, or null. Asked with a token too: a browser that adds the token on its way (an extension, a
     * local proxy that injects it) would otherwise let any page the operator opens drain endpoints.
     */
    static String crossSiteProblem(HttpRequest request) {
        if (HttpMethod.GET.equals(request.method()) || HttpMethod.HEAD.equals(request.method())) {
            return null; // reads: a cross-site page cannot see the answer, and they change nothing
        }
        HttpHeaders headers = request.headers();
        String site = headers.get("Sec-Fetch-Site");
        if (site != null && !site.equalsIgnoreCase("same-origin") && !site.equalsIgnoreCase("none")) {
            return "a web page of another site sent this request (Sec-Fetch-Site: " + site + ")";
        }
        String origin = headers.get(HttpHeaderNames.ORIGIN);
        String host = headers.get(HttpHeaderNames.HOST);
        if (origin != null && (host == null || !(origin.equalsIgnoreCase("http://" + host)
                || origin.equalsIgnoreCase("https://" + host)))) { // https: behind a front that ends TLS
            return "a web page of another origin sent this request (Origin: " + origin + ")";
        }
        return null;
    }

    /** An IP address, {@code localhost} or a name under {@code .localhost}, with or without a port. */
    static boolean isAddressOrLocalhost(String host) {
        String name;
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            return close > 0 && NetUtil.isValidIpV6Address(host.substring(1, close));
        }
        int colon = host.lastIndexOf(':');
        name = (colon < 0 ? host : host.substring(0, colon)).toLowerCase(Locale.ROOT);
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1); // "localhost." is the same name
        }
        return name.isEmpty() || NetUtil.isValidIpV4Address(name) || name.equals("localhost")
                || name.endsWith(".localhost");
    }
}
