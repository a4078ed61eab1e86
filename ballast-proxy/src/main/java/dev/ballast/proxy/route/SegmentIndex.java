package dev.ballast.proxy.route;

import dev.ballast.proxy.config.MatchConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Routes filed by the first segment of the path their match fixes: an exact path ({@code /api/users},
 * {@code /health}) or a prefix that runs past its first segment ({@code /api/}, {@code /api/v1}). A
 * request can only match the routes of its own first segment and those that fix none, so the route
 * table compares it with those alone, in file order. A table of many routes for distinct services,
 * as an API gateway has, then costs a few comparisons a request instead of one per route.
 *
 * <p>Immutable; a lookup allocates nothing (the segment is hashed and compared in place).
 */
final class SegmentIndex {

    private static final int[] NONE = new int[0];

    /** Open addressing: {@code keys[slot]} is a segment, {@code filed[slot]} its routes in file order. */
    private final String[] keys;
    private final int[][] filed;
    private final int mask;
    /** The routes that fix no first segment (a regex, the prefix {@code /}, no path), in file order. */
    private final int[] unfiled;

    private SegmentIndex(Map<String, List<Integer>> bySegment, List<Integer> unfiled) {
        int capacity = Integer.highestOneBit(Math.max(1, bySegment.size()) * 2 - 1) << 1;
        this.keys = new String[bySegment.isEmpty() ? 0 : capacity];
        this.filed = new int[keys.length][];
        this.mask = keys.length - 1;
        for (Map.Entry<String, List<Integer>> entry : bySegment.entrySet()) {
            String segment = entry.getKey();
            int slot = spread(segment.hashCode()) & mask;
            while (keys[slot] != null) {
                slot = (slot + 1) & mask;
            }
            keys[slot] = segment;
            filed[slot] = entry.getValue().stream().mapToInt(Integer::intValue).toArray();
        }
        this.unfiled = unfiled.stream().mapToInt(Integer::intValue).toArray();
    }

    static SegmentIndex of(List<MatchConfig> matches) {
        Map<String, List<Integer>> bySegment = new LinkedHashMap<>();
        List<Integer> unfiled = new ArrayList<>();
        for (int i = 0; i < matches.size(); i++) {
            String segment = segmentOf(matches.get(i));
            if (segment == null) {
                unfiled.add(i);
            } else {
                bySegment.computeIfAbsent(segment, s -> new ArrayList<>()).add(i);
            }
        }
        return new SegmentIndex(bySegment, unfiled);
    }

    /**
     * The first path segment every request {@code match} takes has, or null. A prefix that ends inside
     * its first segment ({@code /api}) fixes none: {@code /apis} starts with it too.
     */
    static String segmentOf(MatchConfig match) {
        boolean exact = match.path() != null;
        String text = exact ? match.path() : match.pathPrefix();
        if (text == null || !text.startsWith("/")) {
            return null;
        }
        int slash = text.indexOf('/', 1);
        if (slash >= 0) {
            return text.substring(1, slash);
        }
        return exact ? text.substring(1) : null;
    }

    /** The routes filed under {@code path}'s first segment, in file order; empty when none are. */
    int[] filedFor(String path) {
        if (keys.length == 0 || !path.startsWith("/")) {
            return NONE;
        }
        int end = path.indexOf('/', 1);
        if (end < 0) {
            end = path.length();
        }
        int length = end - 1;
        int hash = 0;
        for (int i = 1; i < end; i++) {
            hash = 31 * hash + path.charAt(i); // String.hashCode of the segment, without making it
        }
        for (int slot = spread(hash) & mask; keys[slot] != null; slot = (slot + 1) & mask) {
            String key = keys[slot];
            if (key.length() == length && path.regionMatches(1, key, 0, length)) {
                return filed[slot];
            }
        }
        return NONE;
    }

    /** The routes that fix no first segment, in file order. */
    int[] unfiled() {
        return unfiled;
    }

    private static int spread(int hash) {
        return hash ^ (hash >>> 16);
    }
}
