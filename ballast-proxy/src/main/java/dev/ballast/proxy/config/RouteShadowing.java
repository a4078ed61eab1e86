package dev.ballast.proxy.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Finds routes that can never match because an earlier route takes every request they would: first
 * match wins, so such a route is dead configuration and almost always a mistake in ordering.
 *
 * <p>The check is conservative: it warns only when the earlier route's conditions are provably implied
 * by the later route's (same or fewer host, method, header and query conditions; a path condition
 * that contains the later one's). Regexes are compared only by their text or against an exact path.
 */
final class RouteShadowing {

    /** Far more than any sane pattern takes on a path, and a few milliseconds of work. */
    private static final long REGEX_STEPS = 1_000_000;

    private RouteShadowing() {
    }

    static void warnShadowed(List<Located<RouteConfig>> routes, Problems problems) {
        int[] coveredBy = firstCovering(routes.stream().map(route -> route.value().match()).toList());
        for (int later = 0; later < routes.size(); later++) {
            if (coveredBy[later] >= 0) {
                Located<RouteConfig> shadowed = routes.get(later);
                Located<RouteConfig> first = routes.get(coveredBy[later]);
                problems.warn(shadowed.path(), shadowed.line(), "route '" + shadowed.value().name()
                        + "' never matches: route '" + first.value().name() + "' (" + first.path() + ", line "
                        + first.line() + ") comes first and matches every request it would");
            }
        }
    }

    /** For each route, the first earlier route that {@link #covers} it, or -1. */
    static int[] firstCovering(List<MatchConfig> matches) {
        int[] coveredBy = new int[matches.size()];
        EarlierRoutes earlierRoutes = new EarlierRoutes();
        for (int later = 0; later < matches.size(); later++) {
            MatchConfig match = matches.get(later);
            coveredBy[later] = -1;
            for (int earlier : earlierRoutes.thatMightCover(match)) {
                if (covers(matches.get(earlier), match)) {
                    coveredBy[later] = earlier;
                    break;
                }
            }
            earlierRoutes.add(later, match);
        }
        return coveredBy;
    }

    /**
     * The routes seen so far, filed by host and path condition so that a later route is compared only
     * with those that could cover it: the same host or none (or a wildcard), and the same exact path,
     * a prefix of its path, or no path condition that narrows by text. Comparing every pair took 25 s
     * for 40,000 routes; a table that size is usually distinct paths or hosts, for which this is about
     * linear. It files by whole paths and prefixes, finer than the route table's first segment
     * ({@code route.SegmentIndex}), because validation may allocate and many routes often share one
     * segment ({@code /api/...}).
     */
    private static final class EarlierRoutes {

        private static final String ANY_HOST = "";
        private static final String WILDCARD_HOSTS = "*";

        /** Host bucket, then the route's exact path, its prefix, or neither (regex, "/" or no path). */
        private final Map<String, Buckets> byHost = new HashMap<>();

        private static final class Buckets {
            final Map<String, List<Integer>> byPath = new HashMap<>();
            final Map<String, List<Integer>> byPrefix = new HashMap<>();
            final List<Integer> others = new ArrayList<>();
        }

        void add(int index, MatchConfig match) {
            String host = match.host() == null ? ANY_HOST : match.host().startsWith("*.") ? WILDCARD_HOSTS : match.host();
            Buckets buckets = byHost.computeIfAbsent(host, h -> new Buckets());
            if (match.path() != null) {
                buckets.byPath.computeIfAbsent(match.path(), p -> new ArrayList<>()).add(index);
            } else if (match.pathPrefix() != null && !match.pathPrefix().equals("/") && match.pathRegex() == null) {
                buckets.byPrefix.computeIfAbsent(match.pathPrefix(), p -> new ArrayList<>()).add(index);
            } else {
                buckets.others.add(index);
            }
        }

        /** Indexes of earlier routes that may cover {@code later}, in file order; the rest surely do not. */
        int[] thatMightCover(MatchConfig later) {
            List<Integer> found = new ArrayList<>();
            collect(byHost.get(ANY_HOST), later, found);
            collect(byHost.get(WILDCARD_HOSTS), later, found);
            if (later.host() != null && !later.host().startsWith("*.")) {
                collect(byHost.get(later.host()), later, found); // an exact host covers only itself
            }
            return found.stream().mapToInt(Integer::intValue).sorted().distinct().toArray();
        }

        private static void collect(Buckets buckets, MatchConfig later, List<Integer> found) {
            if (buckets == null) {
                return;
            }
            found.addAll(buckets.others);
            if (later.path() != null) {
                found.addAll(buckets.byPath.getOrDefault(later.path(), List.of()));
            }
            if (!buckets.byPrefix.isEmpty()) {
                collectPrefixesOf(later.path(), buckets, found);
                collectPrefixesOf(later.pathPrefix(), buckets, found);
            }
        }

        /** The routes whose prefix begins {@code text}. */
        private static void collectPrefixesOf(String text, Buckets buckets, List<Integer> found) {
            if (text != null) {
                for (int end = 1; end <= text.length(); end++) {
                    found.addAll(buckets.byPrefix.getOrDefault(text.substring(0, end), List.of()));
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
        if ("/".equals(prefix) && mayTakeAsteriskForm(later)) {
            return false;
        }
        if (prefix != null && !prefix.equals("/")
                && !(later.path() != null && later.path().startsWith(prefix))
                && !(later.pathPrefix() != null && later.pathPrefix().startsWith(prefix))) {
            return false;
        }
        if (earlier.pathRegex() != null) {
            return (later.path() != null && regexCovers(earlier.pathRegex(), later.path()))
                    || (later.pathRegex() != null && later.pathRegex().pattern().equals(earlier.pathRegex().pattern()));
        }
        return true;
    }

    /**
     * Whether {@code pattern} matches {@code path}, given a million steps: a pattern that needs more on a
     * path from the file is taken as not covering it (no warning), rather than holding up the check.
     */
    private static boolean regexCovers(Pattern pattern, String path) {
        try {
            return pattern.matcher(new StepLimitedText(path, REGEX_STEPS)).matches();
        } catch (StepLimitedText.TooManySteps tooMany) {
            return false;
        }
    }

    /**
     * True when {@code later} may match {@code OPTIONS *}, whose path is {@code *}: no prefix, not even
     * {@code /}, takes that request, so the later route still gets it.
     */
    private static boolean mayTakeAsteriskForm(MatchConfig later) {
        return later.path() == null && later.pathPrefix() == null
                && (later.pathRegex() == null || later.pathRegex().matcher("*").matches())
                && (later.methods().isEmpty() || later.methods().contains("OPTIONS"));
    }
}
