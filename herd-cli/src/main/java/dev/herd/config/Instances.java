package dev.herd.config;

import java.util.Locale;
import java.util.OptionalInt;

/**
 * PM2's instance counts: a positive number as is; {@code "max"} or 0 for one per core; a negative
 * number for that many fewer than the cores, but never fewer than one.
 */
final class Instances {

    /** The accepted forms, for error messages. */
    static final String EXPECTED = "a whole number or 'max'";

    private Instances() {
    }

    /** How many instances {@code n} means on a machine with {@code cores} cores. */
    static int count(long n, int cores) {
        if (n == 0) {
            return cores;
        }
        if (n < 0) {
            return (int) Math.max(1, cores + Math.max(n, -cores));
        }
        return (int) Math.min(n, Integer.MAX_VALUE);
    }

    /** The count {@code text} means ({@code "4"}, {@code "max"}, {@code "-1"}), or empty when it is none. */
    static OptionalInt parse(String text, int cores) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("max")) {
            return OptionalInt.of(cores);
        }
        try {
            return OptionalInt.of(count(Long.parseLong(t), cores));
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }
}
