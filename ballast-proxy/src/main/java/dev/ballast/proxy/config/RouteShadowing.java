package dev.ballast.proxy.config;

import java.util.List;

/**
 * Finds routes that can never match because an earlier route takes every request they would: first
 * match wins, so such a route is dead configuration and almost always a mistake in ordering.
 *
 * <p>The check is conservative: it warns only when the earlier route's conditions are provably implied
 * by the later route's (same or fewer host, method, header and query conditions; a path condition
 * that contains the later one's). Regexes are compared only by their text or against an exact path.
 */
final class RouteShadowing {

    private RouteShadowing() {
    }

    static void warnShadowed(List<Located<RouteConfig>> routes, Problems problems) {
        for (int later = 1; later < routes.size(); later++) {
            Located<RouteConfig> shadowed = routes.get(later);
            for (int earlier = 0; earlier < later; earlier++) {
                Located<RouteConfig> first = routes.get(earlier);
                if (covers(first.value().match(), shadowed.value().match())) {
                    problems.warn(shadowed.path(), shadowed.line(), "route '" + shadowed.value().name()
                            + "' never matches: route '" + first.value().name() + "' (" + first.path() + ", line "
                            + first.line() + ") comes first and matches every request it would");
                    break;
                }
            }
        }
    }

    /** True when every request that {@code later} matches is also matched by {@code earlier}. */
    static boolean covers(MatchConfig earlier, MatchConfig later) {
        return hostCovers(earlier.host(), later.host())
                && pathCovers(earlier, later)
                && (earlier.methods().isEmpty()
                    || (!later.methods().isEmpty() && earlier.methods().containsAll(later.methods())))
                && later.headers().entrySet().containsAll(earlier.headers().entrySet())
                && later.query().entrySet().containsAll(earlier.query().entrySet());
    }

    private static boolean hostCovers(String earlier, String later) {
        if (earlier == null) {
            return true;
        }
        if (later == null) {
            return false;
        }
        if (earlier.equals(later)) {
            return true;
        }
        // "*.example.com" surely covers "a.example.com"; whether it covers deeper names depends on the
        // matcher, so those are left alone.
        if (earlier.startsWith("*.") && !later.startsWith("*.")) {
            String suffix = earlier.substring(1);
            String label = later.endsWith(suffix) ? later.substring(0, later.length() - suffix.length()) : "";
            return !label.isEmpty() && label.indexOf('.') < 0;
        }
        return false;
    }

    private static boolean pathCovers(MatchConfig earlier, MatchConfig later) {
        if (earlier.path() != null && !earlier.path().equals(later.path())) {
            return false;
        }
        String prefix = earlier.pathPrefix();
        if (prefix != null && !prefix.equals("/")
                && !(later.path() != null && later.path().startsWith(prefix))
                && !(later.pathPrefix() != null && later.pathPrefix().startsWith(prefix))) {
            return false;
        }
        if (earlier.pathRegex() != null) {
            return (later.path() != null && earlier.pathRegex().matcher(later.path()).matches())
                    || (later.pathRegex() != null && later.pathRegex().pattern().equals(earlier.pathRegex().pattern()));
        }
        return true;
    }
}
