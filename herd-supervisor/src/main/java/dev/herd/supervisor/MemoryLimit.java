package dev.herd.supervisor;

import java.time.Duration;
import java.util.Objects;

/**
 * PM2's {@code max_memory_restart}: an instance whose whole process tree holds more resident
 * memory than {@code maxBytes} is restarted gracefully (in cluster mode, replaced first), the
 * memory checked every {@code checkInterval}.
 *
 * @param maxBytes      the resident memory above which it is restarted
 * @param checkInterval how often it is checked, at least {@link #MIN_INTERVAL}
 */
public record MemoryLimit(long maxBytes, Duration checkInterval) {

    /** PM2 checks every 30 s, long enough for a leak to take a machine down (its #2391). */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
    /** The daemon's sampling period: no check can be fresher. */
    public static final Duration MIN_INTERVAL = Duration.ofSeconds(1);

    /** No process runs in less: a smaller limit would restart every instance at every check. */
    public static final long MIN_BYTES = 1024 * 1024;

    /** Why a limit under {@link #MIN_BYTES} is refused, for a user who likely forgot the unit. */
    public static String tooSmall(long bytes) {
        return bytes == 0 ? "must be more than 0 (leave it out for no limit)"
                : bytes + " bytes is less than any process holds, so every instance would restart at each check:"
                        + " give a unit, as in '" + bytes + "M'";
    }

    public MemoryLimit {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("max_memory_restart must be positive, was " + maxBytes);
        }
        Objects.requireNonNull(checkInterval, "checkInterval");
        if (checkInterval.compareTo(MIN_INTERVAL) < 0) {
            throw new IllegalArgumentException("the memory check interval must be at least 1s, was " + checkInterval);
        }
    }
}
