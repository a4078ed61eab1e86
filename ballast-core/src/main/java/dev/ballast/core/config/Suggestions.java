package dev.ballast.core.config;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/** "Did you mean ...?" for a misspelt key or id: the closest candidate by edit distance, if close enough. */
public final class Suggestions {

    private Suggestions() {
    }

    /**
     * The candidate nearest to {@code word} (ignoring case; '-' and '_' count as one edit), when at most
     * about a third of the word is wrong; otherwise empty, because a far-fetched guess misleads.
     */
    public static Optional<String> closest(String word, Collection<String> candidates) {
        String typed = word.toLowerCase(Locale.ROOT);
        int allowed = Math.max(1, typed.length() / 3);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : candidates) {
            if (Math.abs(candidate.length() - typed.length()) > allowed) {
                continue; // at least that many edits apart: a value of megabytes is never compared
            }
            int distance = distance(typed, candidate.toLowerCase(Locale.ROOT));
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return bestDistance <= allowed ? Optional.ofNullable(best) : Optional.empty();
    }

    /** "; did you mean 'x'?" or the empty string: appended to a message. */
    public static String hint(String word, Collection<String> candidates) {
        return closest(word, candidates).map(c -> "; did you mean '" + c + "'?").orElse("");
    }

    /**
     * Optimal string alignment distance (Levenshtein plus adjacent transpositions), so "weigth" is one
     * edit from "weight", as a person would count it. Three rows of {@code b}'s length, not a table.
     */
    public static int distance(String a, String b) {
        int[] twoBack = new int[b.length() + 1];
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    current[j] = Math.min(current[j], twoBack[j - 2] + 1);
                }
            }
            int[] reused = twoBack;
            twoBack = previous;
            previous = current;
            current = reused;
        }
        return previous[b.length()];
    }
}
