package dev.herd.balancer;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * A backend's traffic as {@code list}, {@code monit} and the metrics show it: counters since it
 * joined, and rates and latency over a recent window (see {@link TrafficMeter}).
 *
 * @param requests          requests (connections in tcp mode) started since it joined
 * @param inFlight          requests in flight (open connections in tcp mode) at the sample
 * @param errors            failures since it joined, by kind, every kind present
 * @param windowNanos       how long the window is that the next four figures cover; 0 before
 *                          the second sample
 * @param requestsPerSecond requests started per second over the window
 * @param errorsPerSecond   failures per second over the window
 * @param p50Millis         median latency of the window's answered requests, 0 when none
 * @param p99Millis         99th percentile of the same, 0 when none
 */
public record TrafficStats(long requests, int inFlight, Map<ErrorKind, Long> errors, long windowNanos,
                           double requestsPerSecond, double errorsPerSecond, double p50Millis, double p99Millis) {

    /** A backend with no traffic measured yet. */
    public static final TrafficStats NONE = new TrafficStats(0, 0, Map.of(), 0, 0, 0, 0, 0);

    /** Copies {@code errors} with every kind present, so a snapshot stays one. */
    public TrafficStats {
        Map<ErrorKind, Long> copy = new EnumMap<>(ErrorKind.class);
        for (ErrorKind k : ErrorKind.values()) {
            copy.put(k, 0L);
        }
        copy.putAll(Objects.requireNonNull(errors, "errors"));
        errors = Collections.unmodifiableMap(copy);
    }

    /** Failures of every kind since it joined. */
    public long errorCount() {
        return errors.values().stream().mapToLong(Long::longValue).sum();
    }
}
