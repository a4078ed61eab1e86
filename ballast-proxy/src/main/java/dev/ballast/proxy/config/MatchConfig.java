package dev.ballast.proxy.config;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * {@code routes[i].match}: every condition given must hold; an empty match matches everything.
 *
 * @param host       {@code host}: exact (case-insensitive, port ignored) or {@code *.example.com}; null = any
 * @param path       {@code path}: exact path (query excluded); null = any
 * @param pathPrefix {@code path_prefix}; null = any
 * @param pathRegex  {@code path_regex}: must match the whole path; null = any
 * @param methods    {@code methods}: upper-case; empty = any
 * @param headers    {@code headers}: name (case-insensitive) to exact value
 * @param query      {@code query}: parameter name to exact value
 */
public record MatchConfig(
        String host,
        String path,
        String pathPrefix,
        Pattern pathRegex,
        Set<String> methods,
        Map<String, String> headers,
        Map<String, String> query) {

    public MatchConfig {
        // Sorted, as no order means anything here: GET /config and its digest are the same in every run.
        methods = Collections.unmodifiableSortedSet(new TreeSet<>(methods));
        headers = Collections.unmodifiableSortedMap(new TreeMap<>(headers));
        query = Collections.unmodifiableSortedMap(new TreeMap<>(query));
    }
}
