package dev.ballast.proxy.config;

import dev.ballast.core.config.Suggestions;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Reads {@code routes}: each route's name, match conditions, target upstream or split, and mirror. */
final class RouteReader {

    /** The request methods of RFC 9110 section 9 and PATCH (RFC 5789). */
    static final List<String> METHODS =
            List.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");

    private static final List<String> ROUTE_KEYS = List.of("name", "match", "upstream", "split", "split_key", "mirror");
    private static final List<String> SPLIT_KEYS = List.of("upstream", "weight");
    private static final List<String> MIRROR_KEYS = List.of("upstream", "sample");
    private static final String SPLIT_EXPECTED = "a list of {upstream, weight}";
    private static final List<String> MATCH_KEYS =
            List.of("host", "path", "path_prefix", "path_regex", "methods", "headers", "query");
    private static final Pattern HOST = Pattern.compile("(\\*\\.)?[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?|\\[[0-9a-f:.]+]");
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final String HOST_EXPECTED = "a host name like api.example.com or *.example.com";
    private static final MatchConfig ANY = new MatchConfig(null, null, null, null, Set.of(), Map.of(), Map.of());

    private RouteReader() {
    }

    static List<Located<RouteConfig>> readAll(Section top, Set<String> upstreams) {
        String expected = "a list of routes, each {name, match, upstream or split, mirror}";
        List<Value> items = top.required("routes", expected).flatMap(value -> value.items(expected)).orElse(null);
        if (items == null) {
            return List.of();
        }
        if (items.isEmpty()) {
            top.get("routes").orElseThrow()
                    .error("no routes (expected: at least one; a route without match takes every request)");
        }
        List<Located<RouteConfig>> routes = new ArrayList<>();
        List<Located<RouteConfig>> matchesReadCleanly = new ArrayList<>();
        Map<String, Located<RouteConfig>> byName = new HashMap<>();
        List<Located<RouteConfig>> unnamed = new ArrayList<>();
        for (int index = 0; index < items.size(); index++) {
            String defaultName = "route-" + index;
            items.get(index).section(ROUTE_KEYS).ifPresent(section -> {
                String given = section.get("name").flatMap(Names::read).orElse(null);
                String name = given != null ? given : defaultName;
                int errorsBefore = section.problems().errorCount();
                MatchConfig match = section.get("match").flatMap(RouteReader::match).orElse(ANY);
                boolean matchIsClean = section.problems().errorCount() == errorsBefore;
                String upstream = null;
                List<RouteConfig.Split> split = List.of();
                if (section.has("split")) {
                    section.get("upstream").ifPresent(value -> value.error(
                            "a route has 'upstream' or 'split', not both (expected: one upstream, or a split)"));
                    split = section.get("split").map(value -> split(value, upstreams)).orElse(List.of());
                } else {
                    upstream = section.required("upstream", "the name of an upstream (or a 'split' between several)")
                            .flatMap(value -> upstream(value, upstreams)).orElse(null);
                }
                HashKey splitKey = section.get("split_key")
                        .flatMap(value -> value.parsed(HashKey.EXPECTED, HashKey::parse)).orElse(null);
                if (splitKey != null && split.size() < 2) {
                    section.get("split_key").orElseThrow().warn("ignored: the route sends to one upstream ("
                            + (section.has("split") ? "a split of one side" : "no 'split'") + ")");
                    splitKey = null;
                } else if (splitKey != null && splitKey.warning() != null) {
                    section.get("split_key").orElseThrow().warn(splitKey.warning());
                }
                MirrorConfig mirror = section.get("mirror").flatMap(value -> mirror(value, upstreams)).orElse(null);
                String copiesTo = mirror == null ? null : mirror.upstream();
                if (copiesTo != null && (copiesTo.equals(upstream)
                        || split.stream().anyMatch(side -> side.weight() > 0 && side.upstream().equals(copiesTo)))) {
                    section.get("mirror").orElseThrow().error("copies would go to '" + copiesTo
                            + "', which serves this route itself: its endpoints would get each request twice"
                            + " (expected: an upstream of its own for the copies)");
                }
                Located<RouteConfig> route = new Located<>(
                        new RouteConfig(name, match, upstream, split, splitKey, mirror), section.path(), section.line());
                if (given == null) {
                    unnamed.add(route);
                } else {
                    Located<RouteConfig> first = byName.putIfAbsent(name, route);
                    if (first != null) {
                        section.error("duplicate route name '" + name + "' (also " + first.path() + ", line "
                                + first.line() + ")");
                    }
                }
                routes.add(route);
                if (matchIsClean) {
                    matchesReadCleanly.add(route);
                }
            });
        }
        nameUnnamed(unnamed, byName.keySet(), routes, matchesReadCleanly);
        // A match with errors was read with parts missing: it would look broader than the user wrote.
        RouteShadowing.warnShadowed(matchesReadCleanly, top.problems());
        return routes;
    }

    /**
     * A route without a name is {@code route-N} (its position), unless the file gives another route
     * that name: then {@code route-N-2} (or -3, ...), so a file that numbers its routes itself is not
     * refused for a name it never wrote.
     */
    private static void nameUnnamed(List<Located<RouteConfig>> unnamed, Set<String> given,
                                    List<Located<RouteConfig>> routes, List<Located<RouteConfig>> matchesReadCleanly) {
        Set<String> taken = new HashSet<>(given);
        for (Located<RouteConfig> route : unnamed) {
            String base = route.value().name();
            String name = base;
            for (int n = 2; taken.contains(name); n++) {
                name = base + "-" + n;
            }
            taken.add(name);
            if (!name.equals(base)) {
                RouteConfig value = route.value();
                Located<RouteConfig> renamed = new Located<>(new RouteConfig(name, value.match(), value.upstream(),
                        value.split(), value.splitKey(), value.mirror()), route.path(), route.line());
                routes.set(routes.indexOf(route), renamed);
                int clean = matchesReadCleanly.indexOf(route);
                if (clean >= 0) {
                    matchesReadCleanly.set(clean, renamed);
                }
            }
        }
    }

    private static Optional<String> upstream(Value value, Set<String> upstreams) {
        return value.word("the name of an upstream").filter(name -> {
            if (upstreams.contains(name)) {
                return true;
            }
            value.error("no upstream named '" + name + "'" + Suggestions.hint(name, upstreams)
                    + (upstreams.isEmpty() ? " (no upstreams are defined)"
                    : " (defined: " + String.join(", ", upstreams) + ")"));
            return false;
        });
    }

    private static List<RouteConfig.Split> split(Value value, Set<String> upstreams) {
        List<Value> items = value.items(SPLIT_EXPECTED).orElse(null);
        if (items == null) {
            return List.of();
        }
        if (items.isEmpty()) {
            value.error("an empty split (expected: " + SPLIT_EXPECTED + ")");
            return List.of();
        }
        List<RouteConfig.Split> sides = new ArrayList<>();
        Map<String, Integer> seenAt = new HashMap<>();
        for (Value item : items) {
            item.section(SPLIT_KEYS).ifPresent(side -> {
                String upstream = side.required("upstream", "the name of an upstream")
                        .flatMap(name -> upstream(name, upstreams)).orElse(null);
                int weight = side.integer("weight", 1, 0, RouteConfig.Split.MAX_WEIGHT);
                if (upstream == null) {
                    return;
                }
                Integer first = seenAt.putIfAbsent(upstream, item.line());
                if (first != null) {
                    side.error("upstream '" + upstream + "' is in the split twice (also line " + first
                            + "; expected: each upstream once, with its weight)");
                    return;
                }
                sides.add(new RouteConfig.Split(upstream, weight));
            });
        }
        if (sides.size() == items.size() && sides.stream().allMatch(side -> side.weight() == 0)) {
            value.error("every weight of the split is 0 (expected: at least one above 0)");
        }
        return sides;
    }

    private static Optional<MirrorConfig> mirror(Value value, Set<String> upstreams) {
        return value.section(MIRROR_KEYS).flatMap(section -> {
            String upstream = section.required("upstream", "the name of the upstream that gets the copies")
                    .flatMap(name -> upstream(name, upstreams)).orElse(null);
            double sample = section.get("sample").flatMap(Value::share).orElse(1.0);
            if (sample == 0) {
                section.get("sample").orElseThrow().warn("0: no request is copied");
            }
            return upstream == null ? Optional.empty() : Optional.of(new MirrorConfig(upstream, sample));
        });
    }

    private static Optional<MatchConfig> match(Value value) {
        return value.section(MATCH_KEYS).map(section -> new MatchConfig(
                section.get("host").flatMap(RouteReader::host).orElse(null),
                section.get("path").flatMap(RouteReader::path).orElse(null),
                section.get("path_prefix").flatMap(RouteReader::path).orElse(null),
                section.get("path_regex").flatMap(RouteReader::regex).orElse(null),
                section.get("methods").map(RouteReader::methods).orElse(Set.of()),
                section.get("headers").map(RouteReader::headers).orElse(Map.of()),
                section.get("query").map(RouteReader::query).orElse(Map.of())));
    }

    private static Optional<String> host(Value value) {
        return value.word(HOST_EXPECTED).map(text -> text.toLowerCase(Locale.ROOT)).filter(host -> {
            if (!host.startsWith("[") && host.indexOf(':') != host.lastIndexOf(':')) {
                value.error("'" + host + "' is an IPv6 address without brackets (expected: [" + host + "])");
                return false;
            }
            boolean hasPort = host.startsWith("[") ? host.contains("]:") : host.contains(":");
            if (hasPort) {
                value.error("'" + host + "' includes a port (expected: " + HOST_EXPECTED
                        + "; the port is ignored when matching)");
                return false;
            }
            if (!HOST.matcher(host).matches()) {
                value.error("'" + host + "' is not a host name (expected: " + HOST_EXPECTED + ")");
                return false;
            }
            return true;
        });
    }

    private static Optional<String> path(Value value) {
        String expected = "a path starting with '/'";
        return value.word(expected).filter(path -> {
            if (!path.startsWith("/")) {
                value.error("'" + path + "' does not start with '/' (expected: " + expected + ")");
                return false;
            }
            if (path.indexOf('?') >= 0 || path.indexOf('#') >= 0) {
                value.error("'" + path + "' has a query or fragment (expected: " + expected
                        + "; match query parameters with 'query')");
                return false;
            }
            if (path.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
                value.error("'" + path + "' has spaces or control characters (expected: " + expected + ")");
                return false;
            }
            if (path.chars().anyMatch(c -> c > 0x7f)) {
                value.error("'" + path + "' has non-ASCII characters, which a request's path never has (expected: "
                        + expected + "; write them percent-encoded, as clients send them: '" + percentEncoded(path)
                        + "')");
                return false;
            }
            return true;
        });
    }

    /** {@code text} with every non-ASCII character written as the %XX escapes of its UTF-8 bytes. */
    private static String percentEncoded(String text) {
        char[] hex = "0123456789ABCDEF".toCharArray();
        StringBuilder out = new StringBuilder();
        text.codePoints().forEach(c -> {
            if (c <= 0x7f) {
                out.appendCodePoint(c);
            } else {
                for (byte b : Character.toString(c).getBytes(StandardCharsets.UTF_8)) {
                    out.append('%').append(hex[(b >> 4) & 0xf]).append(hex[b & 0xf]);
                }
            }
        });
        return out.toString();
    }

    private static Optional<Pattern> regex(Value value) {
        return value.word("a regular expression").flatMap(text -> {
            if (text.chars().anyMatch(c -> c > 0x7f)) {
                value.error("regex '" + text + "' has non-ASCII characters, which a request's path never has;"
                        + " write them percent-encoded, as clients send them: '" + percentEncoded(text) + "'");
                return Optional.empty();
            }
            try {
                return Optional.of(Pattern.compile(text));
            } catch (PatternSyntaxException e) {
                value.error("invalid regex '" + text + "': " + e.getDescription()
                        + (e.getIndex() >= 0 ? " near index " + e.getIndex() : ""));
                return Optional.empty();
            }
        });
    }

    private static Set<String> methods(Value value) {
        Set<String> methods = new LinkedHashSet<>();
        List<Value> items = value.items("a list of HTTP methods, like [GET, POST]").orElse(null);
        if (items != null && items.isEmpty() && value.isSequence()) { // 'methods:' with nothing after it: any
            value.error("an empty list would match no request (expected: methods like [GET, POST]; leave 'methods'"
                    + " out to match every method)");
        }
        for (Value item : items == null ? List.<Value>of() : items) {
            item.word("an HTTP method").map(text -> text.toUpperCase(Locale.ROOT)).ifPresent(method -> {
                if (METHODS.contains(method)) {
                    methods.add(method);
                    if (method.equals("CONNECT")) {
                        item.warn("CONNECT never matches: Ballast is a reverse proxy and answers every CONNECT"
                                + " request itself with 501 Not Implemented");
                    }
                } else {
                    item.error("unknown HTTP method '" + method + "'" + Suggestions.hint(method, METHODS)
                            + " (expected: " + String.join(", ", METHODS) + ")");
                }
            });
        }
        return methods;
    }

    /** Header names are case-insensitive (RFC 9110 section 5.1), so they are kept in lower case. */
    private static Map<String, String> headers(Value value) {
        Map<String, String> headers = new LinkedHashMap<>();
        value.entries("a mapping of header names to values").orElse(Map.of()).forEach((name, headerValue) -> {
            if (!TOKEN.matcher(name).matches()) {
                headerValue.error("'" + name + "' is not a valid header name");
                return;
            }
            headerValue.text("a header value").ifPresent(text -> {
                if (headers.putIfAbsent(name.toLowerCase(Locale.ROOT), text) != null) {
                    headerValue.error("header '" + name + "' is listed twice (names are case-insensitive)");
                }
            });
        });
        return headers;
    }

    private static Map<String, String> query(Value value) {
        Map<String, String> query = new LinkedHashMap<>();
        value.entries("a mapping of query parameter names to values").orElse(Map.of())
                .forEach((name, paramValue) -> {
                    if (name.isBlank()) {
                        paramValue.error("empty query parameter name");
                        return;
                    }
                    paramValue.text("a query parameter value").ifPresent(text -> query.put(name, text));
                });
        return query;
    }
}
