package dev.herd.daemon;

import java.util.Map;
import java.util.Objects;

/**
 * How many instances one daemon (or {@code herd run}) may hold, across all its apps. Each instance
 * costs the daemon about 0.3 MB of heap (its log buffers) and five threads, and the daemon's heap is
 * small on purpose: past the limit it would die of {@code OutOfMemoryError} and leave its apps
 * unsupervised. Set by {@value #VARIABLE} in the daemon's environment, default {@value #DEFAULT}.
 *
 * @param max     the most instances in total, at least 1
 * @param applyBy the command that puts a new value into effect, for the error message: {@code herd
 *                update} for the daemon (it starts the next daemon with the client's environment)
 */
public record InstanceLimit(int max, String applyBy) {

    /** The environment variable that sets the limit, read when the daemon starts. */
    public static final String VARIABLE = "HERD_MAX_INSTANCES";
    /** The default: 300 instances filled the daemon's 128 MB heap; this leaves it a margin. */
    public static final int DEFAULT = 200;

    /** The daemon's heap at the default limit: the daemon stays small. */
    private static final int BASE_HEAP_MB = 128;

    public InstanceLimit {
        if (max < 1) {
            throw new IllegalArgumentException("the instance limit must be at least 1, was " + max);
        }
        Objects.requireNonNull(applyBy, "applyBy");
    }

    /**
     * The limit {@value #VARIABLE} sets in {@code env}, else the default.
     *
     * @param applyBy see {@link #applyBy()}
     * @throws HerdException when it is set to something other than a positive whole number
     */
    public static InstanceLimit of(Map<String, String> env, String applyBy) throws HerdException {
        String value = env.get(VARIABLE);
        if (value == null || value.isBlank()) {
            return new InstanceLimit(DEFAULT, applyBy);
        }
        try {
            int max = Integer.parseInt(value.trim());
            if (max >= 1) {
                return new InstanceLimit(max, applyBy);
            }
        } catch (NumberFormatException e) {
            // Worded below, as for a number below 1.
        }
        throw new HerdException(VARIABLE + ": expected a whole number of at least 1, got '" + value + "'");
    }

    /**
     * The heap a daemon needs to hold {@code max} instances, for its {@code -Xmx}: 128 MB, or more
     * for a raised limit, at 0.5 MB per instance (0.3 MB measured, and room for output bursts).
     */
    public int heapMegabytes() {
        return Math.max(BASE_HEAP_MB, 16 + max / 2);
    }

    /**
     * Refuses to let an app have {@code wanted} instances when the daemon holds {@code others}
     * instances of other apps already.
     *
     * @throws HerdException naming the app, the limit and how to raise it
     */
    public void check(String app, long wanted, long others) throws HerdException {
        if (wanted + others <= max) {
            return;
        }
        String raise = " (set " + VARIABLE + " to raise it, e.g. " + VARIABLE + "=" + (wanted + others) + " " + applyBy + ")";
        throw new HerdException("app '" + app + "': " + (others == 0
                ? count(wanted) + " would be above the limit of "
                : count(wanted) + " on top of the " + others + " herd holds would be " + (wanted + others) + ", above the limit of ")
                + max + " instances in total across apps" + raise);
    }

    private static String count(long n) {
        return n + (n == 1 ? " instance" : " instances");
    }
}
