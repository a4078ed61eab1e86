package dev.ballast.proxy.route;

import dev.ballast.proxy.config.MatchConfig;
import dev.ballast.proxy.config.StepLimitedText;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Compiles a {@link MatchConfig} into the conditions that must all hold, cheapest first. */
final class Matchers {

    private static final Logger log = LoggerFactory.getLogger(Matchers.class);
    /** Far more than any sane pattern takes on a path of the longest URI allowed. */
    static final long REGEX_STEPS = 1_000_000;
    private static final long REGEX_WARNING_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final AtomicLong lastRegexWarning = new AtomicLong(System.nanoTime() - REGEX_WARNING_INTERVAL_NANOS);

    /** Only read after it is set up here, so every event loop may build decoders from it. */
    private static final QueryStringDecoder.Builder QUERY = QueryStringDecoder.builder()
            .semicolonIsNormalChar(true)
            .maxParams(Integer.MAX_VALUE); // Netty's default stops at 1,024; a backend reads on

    private Matchers() {
    }

    static RequestMatcher compile(MatchConfig match) {
        List<RequestMatcher> all = new ArrayList<>();
        if (!match.methods().isEmpty()) {
            all.add(methods(match.methods()));
        }
        if (match.path() != null) {
            String exact = match.path();
            all.add((request, path) -> path.equals(exact));
        }
        if (match.pathPrefix() != null) {
            String prefix = match.pathPrefix();
            all.add((request, path) -> path.startsWith(prefix));
        }
        if (match.host() != null) {
            all.add(host(match.host()));
        }
        for (Map.Entry<String, String> header : match.headers().entrySet()) {
            String name = header.getKey();
            String value = asDecoded(header.getValue());
            all.add((request, path) -> headerIs(request.headers(), name, value));
        }
        if (!match.query().isEmpty()) {
            all.add(query(match.query()));
        }
        if (match.pathRegex() != null) {
            Pattern regex = match.pathRegex();
            all.add((request, path) -> matchesWithin(regex, path));
        }
        return allOf(all);
    }

    /**
     * Whether {@code regex} matches {@code path} within {@link #REGEX_STEPS} steps of the engine; past
     * them, as not matching, with a warning. A few milliseconds at most: a pattern that backtracks
     * without end on paths a client can choose must not hold an event loop and every connection on it.
     */
    static boolean matchesWithin(Pattern regex, String path) {
        try {
            return regex.matcher(new StepLimitedText(path, REGEX_STEPS)).matches();
        } catch (StepLimitedText.TooManySteps tooMany) {
            long now = System.nanoTime();
            long last = lastRegexWarning.get();
            if (now - last >= REGEX_WARNING_INTERVAL_NANOS && lastRegexWarning.compareAndSet(last, now)) {
                log.warn("path_regex '{}' took more than {} steps on a path of {} characters: taken as not"
                        + " matching (a pattern with nested repetition, such as (.*a)+, backtracks without end)",
                        regex.pattern(), REGEX_STEPS, path.length());
            }
            return false;
        }
    }

    /**
     * {@code text} as Netty's decoder reads its UTF-8 bytes off the wire: one character per byte. So
     * {@code Zürich} in the file matches the value a client sends in UTF-8.
     */
    private static String asDecoded(String text) {
        return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    /**
     * True when the header's value is exactly {@code expected}: a header sent on several lines has
     * their values joined with ", " (RFC 9110 §5.3), as a backend reading it whole sees it. Matching
     * any one line would route {@code X-Tenant: evil} and {@code X-Tenant: acme} as acme.
     */
    static boolean headerIs(HttpHeaders headers, String name, String expected) {
        Iterator<String> lines = headers.valueStringIterator(name);
        if (!lines.hasNext()) {
            return false;
        }
        String first = lines.next();
        if (!lines.hasNext()) {
            return first.equals(expected);
        }
        StringBuilder combined = new StringBuilder(first);
        while (lines.hasNext()) {
            combined.append(", ").append(lines.next());
        }
        return combined.toString().equals(expected);
    }

    private static RequestMatcher allOf(List<RequestMatcher> matchers) {
        return switch (matchers.size()) {
            case 0 -> RequestMatcher.ANY;
            case 1 -> matchers.get(0);
            default -> {
                RequestMatcher[] array = matchers.toArray(RequestMatcher[]::new);
                yield (request, path) -> {
                    for (RequestMatcher matcher : array) {
                        if (!matcher.matches(request, path)) {
                            return false;
                        }
                    }
                    return true;
                };
            }
        };
    }

    private static RequestMatcher methods(Set<String> names) {
        // HttpMethod.valueOf returns the shared constants for standard methods, so identity is enough
        // for them; the name comparison covers extension methods.
        Set<String> upper = names.stream().map(n -> n.toUpperCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        if (upper.size() == 1) {
            HttpMethod only = HttpMethod.valueOf(upper.iterator().next());
            return (request, path) -> request.method().equals(only);
        }
        return (request, path) -> upper.contains(request.method().name());
    }

    /** Exact host (case-insensitive, port ignored) or {@code *.example.com} for any subdomain. */
    static RequestMatcher host(String pattern) {
        String lower = pattern.toLowerCase(Locale.ROOT);
        if (lower.startsWith("*.")) {
            String suffix = lower.substring(1); // ".example.com"
            return (request, path) -> {
                String host = request.headers().get(HttpHeaderNames.HOST);
                if (host == null) {
                    return false;
                }
                int end = hostEnd(host);
                return end > suffix.length()
                        && host.regionMatches(true, end - suffix.length(), suffix, 0, suffix.length());
            };
        }
        return (request, path) -> {
            String host = request.headers().get(HttpHeaderNames.HOST);
            if (host == null) {
                return false;
            }
            int end = hostEnd(host);
            return end == lower.length() && host.regionMatches(true, 0, lower, 0, end);
        };
    }

    /**
     * Where the host name ends: before a {@code :port} (IPv6 literals in brackets kept whole) and before
     * the one trailing dot of a fully qualified name, which names the same host.
     */
    private static int hostEnd(String host) {
        int end = host.length();
        int colon = host.lastIndexOf(':');
        if (colon >= 0 && host.indexOf(']', colon) < 0) {
            end = colon;
        }
        return end > 1 && host.charAt(end - 1) == '.' ? end - 1 : end;
    }

    private static RequestMatcher query(Map<String, String> expected) {
        return (request, path) -> {
            if (request.uri().indexOf('?') < 0) {
                return false;
            }
            // As backends read a query: split on '&' only (not ';'), and a repeated parameter's first value
            // counts. Routing on a value the backend does not see would be a way around the route.
            Map<String, List<String>> params;
            try {
                params = QUERY.build(request.uri()).parameters();
            } catch (IllegalArgumentException malformed) { // a bad %-escape: it has no value to compare
                return false;
            }
            for (Map.Entry<String, String> entry : expected.entrySet()) {
                List<String> values = params.get(entry.getKey());
                if (values == null || !values.getFirst().equals(entry.getValue())) {
                    return false;
                }
            }
            return true;
        };
    }
}
