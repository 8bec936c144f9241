package dev.herd.daemon;

import java.util.Locale;

/**
 * Durations and sizes as herd prints them to people, PM2's way ({@code 3m}, {@code 48.1mb}):
 * one wording for {@code list}, {@code describe}, {@code monit} and the daemon's log.
 */
public final class Units {

    private Units() {
    }

    /** The largest whole unit: {@code 45s}, {@code 3m}, {@code 2h}, {@code 4D}. */
    public static String duration(long millis) {
        long s = millis / 1000;
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m";
        }
        if (s < 86400) {
            return s / 3600 + "h";
        }
        return s / 86400 + "D";
    }

    /** Bytes, kilobytes or megabytes (of 1024), one decimal: {@code 512b}, {@code 3.5kb}, {@code 48.1mb}. */
    public static String bytes(long b) {
        if (b < 1024) {
            return b + "b";
        }
        if (b < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1fkb", b / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1fmb", b / (1024.0 * 1024));
    }
}
