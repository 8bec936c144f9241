package dev.herd.config;

import java.util.Locale;
import java.util.Optional;

/**
 * Finds the known name a misspelt one was probably meant to be, by optimal string alignment
 * distance (Levenshtein plus transposition of two adjacent letters), ignoring case.
 */
final class Suggestions {

    /** Farther than this and the suggestion is more confusing than helpful. */
    static final int MAX_DISTANCE = 2;

    /**
     * Words this long or shorter get a suggestion only one edit away: two edits turn most short
     * words into other real ones ({@code host} into {@code port}, {@code type} into {@code time}),
     * and such a key is more likely a field herd does not know than a typo.
     */
    static final int SHORT_WORD = 5;

    private Suggestions() {
    }

    /**
     * The nearest candidate, the first written on a tie, if it is within {@link #MAX_DISTANCE}
     * edits, one edit for a word of up to {@link #SHORT_WORD} letters, and none for a word of one
     * or two letters ({@code id} suggests nothing, though {@code io} is a field).
     */
    static Optional<String> nearest(String word, Iterable<String> candidates) {
        String w = word.toLowerCase(Locale.ROOT);
        int limit = w.length() <= 2 ? 0 : w.length() <= SHORT_WORD ? 1 : MAX_DISTANCE;
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : candidates) {
            int d = distance(w, candidate.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        return bestDistance <= limit ? Optional.of(best) : Optional.empty();
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
